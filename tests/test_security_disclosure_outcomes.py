"""Disclosure across the committee's questionnaire-outcomes pages (#23): a committee member can
read the outcomes of one questionnaire by role alone, by one of its filter items, by another, and
by two at once (``reports.outcomes``), all over the same anonymous respondents. Each page protects
its own table; this property reads them together.

Property: for any responses, every pair of those pages, and all of them at once, read together by
the auditor (``lib.disclosure_audit``: linear programming over every count the pages publish),
pins no hidden group's count of 1 to k − 1 that no single page pins on its own (what one page
shows alone is ``tests/test_reports_outcomes.py``'s concern).

It can fail: with the two-item table protected without its margins (``row_totals`` and
``col_totals`` off, the margins' guard off) it finds a hidden group of 1 pinned by the two-item
page read beside a one-item page. (The evaluation pages are not in this pair: they are an
evaluator's, and publish each answer's count of a filter item by design, see
``test_security_disclosure_pages.py``.)
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equimentor.evaluation.analysis import ROLE_LABELS
from equimentor.lib.disclosure import Rules
from equimentor.lib.disclosure_audit import audit
from equimentor.reports.outcomes import NOT_ANSWERED, outcomes_report

ROLES = ("mentee", "mentor")
BAND = {
    "code": "band",
    "type": "single",
    "text": "Age band",
    "short": "Age band",
    "filter": True,
    "options": [{"code": b, "label": b} for b in ("a", "b", "c")],
}
GENDER = {
    "code": "gender",
    "type": "single",
    "text": "Gender",
    "short": "Gender",
    "filter": True,
    "options": [{"code": g, "label": g} for g in ("f", "m")],
}
ITEMS = {"band": BAND, "gender": GENDER}
ATOMS = list(itertools.product(ROLES, ("a", "b", "c", None), ("f", "m", None)))
VIEWS = ((), ("band",), ("gender",), ("band", "gender"), ("gender", "band"))


def _label_values(label: str) -> tuple[str, dict]:
    """'Mentees · Age band: a · Gender: Not answered' -> ('mentee', {'band': 'a', 'gender': None})."""
    roles = {text: role for role, text in ROLE_LABELS.items()}
    first, *groups = label.split(" · ")
    values = {}
    for group in groups:
        short, answer = group.split(": ", 1)
        code = next(c for c, item in ITEMS.items() if item["short"] == short)
        values[code] = None if answer == NOT_ANSWERED else answer
    return roles[first], values


def _atom_value(atom, code):
    return atom[1] if code == "band" else atom[2]


def page(view, atoms, k) -> dict:
    """The counts one outcomes page shows or hides: key -> (atoms, shown?)."""
    resps = []
    for role, band, gender in atoms:
        values = {}
        if band is not None:
            values["band"] = band
        if gender is not None:
            values["gender"] = gender
        resps.append((role, values))
    rules = Rules(threshold=k, min_values=k)
    report = outcomes_report("Pulse", [ITEMS[c] for c in view], [], resps, rules)
    cells = {}
    for row in report.rows:
        role, values = _label_values(row[0])
        members = frozenset(
            a
            for a in ATOMS
            if a[0] == role and all(_atom_value(a, c) == v for c, v in values.items())
        )
        # the same people under any view are one cell: key by who they are
        cells[(view, members)] = (members, row[1].isdigit())
    return cells


def _pinned(cells: dict, counts: dict, k: int, targets) -> list:
    sets = {key: atoms for key, (atoms, _shown) in cells.items()}
    values = {key: sum(counts.get(a, 0) for a in atoms) for key, atoms in sets.items()}
    hidden = [key for key, (_atoms, shown) in cells.items() if not shown]
    return [
        f
        for f in audit(sets, values, hidden=hidden, threshold=k, targets=targets)
        if f.why == "pinned" and 1 <= values[f.key] <= k - 1
    ]


def disclosed(read: list[dict], every: dict, counts: dict, k: int) -> list:
    union = {key: cell for p in read for key, cell in p.items()}
    shown_people = {atoms for atoms, shown in union.values() if shown}
    targets = [key for key, (atoms, shown) in union.items() if not shown]
    targets = [key for key in targets if key[1] not in shown_people]
    found = []
    for f in _pinned(union, counts, k, targets):
        people = union[f.key][0]
        alone = ({key: (a, s and a != people) for key, (a, s) in p.items()} for p in every.values())
        if not any(_pinned({**p, f.key: (people, False)}, counts, k, [f.key]) for p in alone):
            found.append(f)
    return found


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(atoms=st.lists(st.sampled_from(ATOMS), min_size=0, max_size=40), k=st.sampled_from([3, 5]))
def test_no_pair_of_outcomes_pages_reveals_a_hidden_group(atoms, k):
    counts: dict = {}
    for a in atoms:
        counts[a] = counts.get(a, 0) + 1
    every = {view: page(view, atoms, k) for view in VIEWS}
    for (v1, p1), (v2, p2) in itertools.combinations(every.items(), 2):
        assert disclosed([p1, p2], every, counts, k) == [], (v1, v2)
    assert disclosed(list(every.values()), every, counts, k) == []
