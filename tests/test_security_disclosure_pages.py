"""Disclosure across evaluation pages (#23): the comparison page pooled a wave's questionnaires,
so a group hidden on one questionnaire's results page came back by subtracting another (mentors
28 − 24 = 4), and a filtered results page showed an item's answers for a filter group in which
fewer than k answered it (an age band 12 − 11 = 1).

Property: for any responses, every pair of pages (each questionnaire's results, unfiltered and
filtered by each answer of its filter item, and the comparison), and all of them at once, read
together by the auditor (``lib.disclosure_audit``: linear programming over every count the pages
publish — group sizes, each column's n, each option's count), pins no hidden column — the number
of people of a group hidden on a page who answered an item, when it is 1 to k − 1 (their answers
would then be the pooled counts minus the published ones) — that no single page pins already.

What the rules do not promise, and this does not examine: within one page, the filter item's own
table publishes how many people gave each of its answers (a filter group's size), and a shown
column in which everyone answered (or gave the same answer) tells as much about each subgroup.
Those are single-page facts, not differences between pages.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equimentor.evaluation import analysis
from equimentor.lib.disclosure_audit import audit

CODES = ("first", "second")  # two baseline questionnaires of one scheme
ROLES = ("mentee", "mentor")
BANDS = ("a", "b", "c")
ANSWERS = ("x", "y")
BAND = {
    "code": "band",
    "type": "single",
    "text": "Age band",
    "filter": True,
    "options": [{"code": b, "label": b} for b in BANDS],
}
Q = {
    "code": "q",
    "type": "single",
    "text": "Useful?",
    "options": [{"code": a, "label": a} for a in ANSWERS],
}
DEFINITION = {"items": [BAND, Q]}
ATOMS = list(itertools.product(CODES, ROLES, (*BANDS, None), (*ANSWERS, None)))


def _resp(atom) -> analysis.Resp:
    code, role, band, q = atom
    values = {}
    if band is not None:
        values["band"] = (band, "")
    if q is not None:
        values["q"] = (q, "")
    return analysis.Resp(role=role, wave="baseline", values=values, code=code)


def _value_of(atom, item):
    return atom[2] if item == "band" else atom[3]


def _block_cells(page, codes, band, block, grouped_shown):
    """Cells of one item's table on a page: each role's n and option counts."""
    item = block["item"]["code"]
    cells = {}
    for i, col in enumerate(block["cols"]):
        role = col["role"]

        def atoms(value=None, role=role):
            return {
                a
                for a in ATOMS
                if a[0] in codes
                and a[1] == role
                and (band is None or a[2] == band)
                and _value_of(a, item) is not None
                and (value is None or _value_of(a, item) == value)
            }

        cells[(page, item, role, "n")] = (atoms(), col["shown"])
        for row in block["rows"]:
            cells[(page, item, role, row["code"])] = (atoms(row["code"]), row["cells"][i]["shown"])
    for role, shown in grouped_shown.items():
        cells[(page, "group", role)] = (
            {a for a in ATOMS if a[0] in codes and a[1] == role and (band is None or a[2] == band)},
            shown,
        )
    return cells


def pages(resps, k) -> dict[str, dict]:
    """Every page over these people: key -> (atoms, shown?) of each figure it shows or hides."""
    out = {}
    for code in CODES:
        mine = [r for r in resps if r.code == code]
        for band in (None, *BANDS):
            grouped, blocks = analysis.results(DEFINITION, mine, k, "band" if band else None, band)
            name = f"results {code}" + (f" band={band}" if band else "")
            shown = {role: s for role, _rs, s in grouped}
            page = {}
            for block in blocks:
                page |= _block_cells(name, {code}, band, block, shown)
            out[name] = page
    rows = analysis.compare(resps, [], [BAND, Q], k)
    page = {}
    for row in rows:
        block = dict(row["waves"])["Baseline"]
        # the pooled questionnaires of each column, as the page computed them
        for i, col in enumerate(block["cols"]):
            codes = {r.code for r in col["resps"]}
            one = {
                **block,
                "cols": [col],
                "rows": [{**r, "cells": [r["cells"][i]]} for r in block["rows"]],
            }
            page |= _block_cells("compare", codes, None, one, {})
    out["compare"] = page
    return out


def _pinned(page_cells: dict, counts: dict, k: int, targets) -> list:
    cells = {key: atoms for key, (atoms, _shown) in page_cells.items()}
    values = {key: sum(counts.get(a, 0) for a in atoms) for key, atoms in cells.items()}
    hidden = [key for key, (_atoms, shown) in page_cells.items() if not shown]
    return [
        f
        for f in audit(cells, values, hidden=hidden, threshold=k, targets=targets)
        if f.why == "pinned" and 1 <= values[f.key] <= k - 1
    ]


def disclosed(read: list[dict], every: dict, counts: dict, k: int) -> list:
    """Hidden columns of 1 to k − 1 answers pinned by the pages ``read`` together and by no
    single page on its own."""
    union = {key: cell for page in read for key, cell in page.items()}
    columns = [key for key, (_a, shown) in union.items() if not shown and key[1:][:1] == ("q",)]
    columns = [key for key in columns if key[-1] == "n"]
    found = []
    for f in _pinned(union, counts, k, columns):
        alone = ({**page, f.key: (union[f.key][0], False)} for page in every.values())
        if not any(_pinned(p, counts, k, [f.key]) for p in alone):
            found.append(f)
    return found


responses = st.lists(st.sampled_from(ATOMS), min_size=0, max_size=40)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(atoms=responses, k=st.sampled_from([3, 5]))
def test_no_pair_of_pages_reveals_a_hidden_group(atoms, k):
    resps = [_resp(a) for a in atoms]
    counts: dict = {}
    for a in atoms:
        counts[a] = counts.get(a, 0) + 1
    every = pages(resps, k)
    for (n1, p1), (n2, p2) in itertools.combinations(every.items(), 2):
        assert disclosed([p1, p2], every, counts, k) == [], (n1, n2)
    assert disclosed(list(every.values()), every, counts, k) == []


def _scenario(pattern):
    atoms = []
    for atom, n in pattern.items():
        atoms += [atom] * n
    return [_resp(a) for a in atoms], {a: n for a, n in pattern.items()}


@pytest.mark.parametrize(
    "pattern,read",
    [
        # mentors: 24 answered the first questionnaire, 4 the second (hidden on its page)
        (
            {("first", "mentor", "a", "x"): 24, ("second", "mentor", "b", "y"): 4},
            ("results first", "results second", "compare"),
        ),
        # mentees: 12 answered q; bands a and b (shown) 6 and 5; band c's group of 7 is shown
        # but one of them answered q: 12 − 11 = 1
        (
            {
                ("first", "mentee", "a", "x"): 6,
                ("first", "mentee", "b", "x"): 5,
                ("first", "mentee", "b", None): 4,
                ("first", "mentee", "c", "y"): 1,
                ("first", "mentee", "c", None): 6,
            },
            tuple(f"results first{band}" for band in ("", " band=a", " band=b", " band=c")),
        ),
        # found by the property (k = 3): bands a and b (2 and 1 mentees) all answered q, hidden
        # beside band c's 3; the band table gives each band's size, so the unfiltered 6 minus
        # c's 3 pinned a's hidden 2 and b's 1 at their sizes
        (
            {
                ("first", "mentee", "a", "x"): 2,
                ("first", "mentee", "b", "x"): 1,
                ("first", "mentee", "c", "x"): 3,
                ("first", "mentee", "c", None): 1,
            },
            ("results first", "results first band=a", "results first band=c"),
        ),
    ],
)
def test_the_reported_differences_are_closed(pattern, read):
    resps, counts = _scenario(pattern)
    for k in (3, 5):
        every = pages(resps, k)
        assert disclosed([every[name] for name in read], every, counts, k) == []
