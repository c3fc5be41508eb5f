"""Disclosure control across the tables one page publishes together (``disclosure.Linked``),
checked by the linear-programming auditor (``lib.disclosure_audit``) and, on small tables, by
enumerating every set of counts consistent with what is shown."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from equimentor.lib.disclosure import HIDDEN, WITHHELD, Linked, Rules, protect, protect_counts
from equimentor.lib.disclosure_audit import audit, bounds, facts
from equimentor.matching.metrics import COLUMN_CATEGORIES, MATCHED, group_table

SOME = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
T = 5
RULES = Rules(threshold=T)

# --- a reports-like page: people by ethnicity × gender × stage ---------------------------------

STEPS = {"registered": {"reg", "app"}, "approved": {"app"}, "pending": {"reg"}}


def microdata(max_eth=3, max_gender=2, max_n=9):
    def build(ne, ng):
        atoms = [(e, g, s) for e in "abc"[:ne] for g in "fm"[:ng] for s in ("reg", "app")]
        return st.fixed_dictionaries({a: st.integers(0, max_n) for a in atoms})

    return st.integers(1, max_eth).flatmap(
        lambda ne: st.integers(1, max_gender).flatmap(lambda ng: build(ne, ng))
    )


def page_tables(micro: dict):
    """The tables a page publishes together: (name, dims of the rows, columns, col_totals)."""
    return [
        ("overall", (), ["registered", "approved"], False),
        ("eth", ("eth",), ["registered", "approved", "pending"], True),  # dry-run style
        ("gender", ("gender",), ["registered", "approved"], True),
        ("eth×gender", ("eth", "gender"), ["registered", "approved"], True),
    ]


def _coord(atom):
    return {"eth": atom[0], "gender": atom[1], "stage": atom[2]}


def _rows(micro, dims):
    return sorted({tuple(_coord(a)[d] for d in dims) for a in micro})


def _atoms(micro, dims, row, stages):
    return {
        a
        for a in micro
        if _coord(a)["stage"] in stages
        and (row is None or all(_coord(a)[d] == v for d, v in zip(dims, row, strict=True)))
    }


def publish_page(micro):
    page = Linked(RULES)
    out = []
    for name, dims, cols, col_totals in page_tables(micro):
        rows = _rows(micro, dims)
        cells = {
            (r, c): sum(micro[a] for a in _atoms(micro, dims, r, STEPS[c]))
            for r in rows
            for c in cols
        }
        p = page.protect(
            rows,
            cols,
            cells,
            RULES,
            row_totals=False,
            col_totals=col_totals,
            rows_as=list(dims),
            cols_as={c: {"stage": STEPS[c]} for c in cols},
            withhold=True,
        )
        out.append((name, dims, p))
    return out


def reader_view(micro, published):
    """What a reader has: each published cell's atoms (worked out here, not by ``Linked``), its
    true value, and whether it was shown, "<t" or "x" — from the displayed text alone."""
    cells, values, small, hidden = {}, {}, set(), set()
    for name, dims, p in published:
        if set(p.display.values()) == {WITHHELD}:  # a table the page could not publish
            continue
        for key, text in p.display.items():
            if key[0] == "cell":
                atoms = _atoms(micro, dims, key[1], STEPS[key[2]])
            elif key[0] == "col":
                atoms = _atoms(micro, dims, None, STEPS[key[1]])
            else:
                raise AssertionError(key)
            k = (name, key)
            cells[k], values[k] = atoms, p.values[key]
            if text == RULES.small:
                small.add(k)
            elif text == HIDDEN:
                hidden.add(k)
            else:
                assert int(text) == p.values[key]
    return cells, values, small, hidden


def assert_nothing_small_shown(published):
    for _, _, p in published:
        for text in p.display.values():
            assert text in (RULES.small, HIDDEN, WITHHELD) or not RULES.is_small(int(text))


@SOME
@given(microdata())
def test_a_page_of_linked_tables_discloses_nothing(micro):
    published = publish_page(micro)
    assert_nothing_small_shown(published)
    cells, values, small, hidden = reader_view(micro, published)
    assert audit(cells, values, small=small, hidden=hidden, threshold=T) == []


def _consistent(micro, cells, values, small, hidden):
    """Every non-negative integer micro table matching what is shown (brute force)."""
    atoms = sorted(micro)
    shown = {k: values[k] for k in cells if k not in small and k not in hidden}
    everyone = [v for k, v in shown.items() if set(cells[k]) == set(atoms)]
    totals = everyone[:1] or range(max(shown.values(), default=0) + T + 1)
    for total in totals:
        for counts in _compositions(total, len(atoms)):
            x = dict(zip(atoms, counts, strict=True))
            if all(sum(x[a] for a in cells[k]) == v for k, v in shown.items()) and all(
                1 <= sum(x[a] for a in cells[k]) < T for k in small
            ):
                yield x


def _compositions(total, parts):
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({(e, g, "app"): st.integers(0, 6) for e in "ab" for g in "fm"}))
def test_integer_enumeration_agrees_nothing_is_disclosed(micro):
    """Independent of linear programming: over every integer table a reader cannot rule out,
    each suppressed cell takes more than one value, and an "x" cell can be 0 or ≥ t."""
    published = publish_page(micro)
    cells, values, small, hidden = reader_view(micro, published)
    seen = {k: set() for k in small | hidden}
    for x in _consistent(micro, cells, values, small, hidden):
        for k in seen:
            seen[k].add(sum(x[a] for a in cells[k]))
    for k, vals in seen.items():
        assert values[k] in vals
        assert len(vals) > 1, k
        if k in hidden:
            assert any(v == 0 or v >= T for v in vals), k


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({(e, g, "app"): st.integers(0, 6) for e in "ab" for g in "fm"}))
def test_lp_bounds_contain_every_integer_solution(micro):
    """The auditor never claims more than is true: on tables protected one at a time (which
    can leak), every value an integer table allows lies within the LP bounds."""
    published = []
    for name, dims, cols, col_totals in page_tables(micro):
        rows = _rows(micro, dims)
        cells = {
            (r, c): sum(micro[a] for a in _atoms(micro, dims, r, STEPS[c]))
            for r in rows
            for c in cols
        }
        published.append(
            (name, dims, protect(rows, cols, cells, RULES, row_totals=False, col_totals=col_totals))
        )
    cells, values, small, hidden = reader_view(micro, published)
    shown = {k: values[k] for k in cells if k not in small and k not in hidden}
    lp = bounds(cells, facts(shown, small, T), small | hidden)
    for x in _consistent(micro, cells, values, small, hidden):
        for k, (lo, hi) in lp.items():
            assert lo <= sum(x[a] for a in cells[k]) <= hi


# --- the auditor finds known attacks -----------------------------------------------------------


def test_auditor_finds_a_group_recovered_from_the_total():
    """Primary suppression alone: 13 in all, 10 in group b, so group a ("<5") is 3."""
    cells = {"a": {"a"}, "b": {"b"}, "all": {"a", "b"}}
    found = audit(cells, {"a": 3, "b": 10, "all": 13}, small={"a"}, threshold=T)
    assert [(f.key, f.lo, f.hi, f.why) for f in found] == [("a", 3, 3, "pinned")]


def test_auditor_finds_differencing_across_two_separately_protected_tables():
    """ "By ethnicity" and "by ethnicity × gender", each protected on its own by ``protect``:
    the first shows a = 5 and c = 6, which the second hid as row totals, and with its zeros and
    the women's total that gives b × women ("<5") exactly."""
    micro = {("a", "f"): 0, ("a", "m"): 5, ("b", "f"): 3, ("b", "m"): 8, ("c", "f"): 6}
    micro[("c", "m")] = 0
    eth, gen = ["a", "b", "c"], ["f", "m"]
    p1 = protect(
        eth, ["n"], {(e, "n"): micro[(e, "f")] + micro[(e, "m")] for e in eth}, row_totals=False
    )
    p2 = protect(eth, gen, {(e, g): micro[(e, g)] for e in eth for g in gen})
    assert p2.display[("cell", "b", "f")] == "<5"

    def atoms2(k):
        return {
            "cell": lambda: {(k[1], k[2])},
            "row": lambda: {(k[1], g) for g in gen},
            "col": lambda: {(e, k[1]) for e in eth},
            "all": lambda: set(micro),
        }[k[0]]()

    cells, values, small, hidden = {}, {}, set(), set()
    for name, p, atoms in (
        ("eth", p1, lambda k: {(k[1], g) for g in gen} if k[0] == "cell" else set(micro)),
        ("eth×gender", p2, atoms2),
    ):
        for k, v in p.values.items():
            cells[(name, k)], values[(name, k)] = atoms(k), v
            (small if k in p.primary else hidden if k in p.hidden else set()).add((name, k))
    # each table alone is safe ...
    for name in ("eth", "eth×gender"):
        mine = {k: a for k, a in cells.items() if k[0] == name}
        assert audit(mine, values, small=small & set(mine), hidden=hidden & set(mine)) == []
    # ... together they give b × women away
    found = {f.key: f for f in audit(cells, values, small=small, hidden=hidden)}
    assert found[("eth×gender", ("cell", "b", "f"))].lo == 3
    assert found[("eth×gender", ("cell", "b", "f"))].why == "pinned"
    # protected together, they do not
    page = Linked()
    page.protect(
        eth,
        ["n"],
        {(e, "n"): micro[(e, "f")] + micro[(e, "m")] for e in eth},
        row_totals=False,
        rows_as="eth",
        cols_as={"n": {}},
    )
    page.protect(
        eth, gen, {(e, g): micro[(e, g)] for e in eth for g in gen}, rows_as="eth", cols_as="gender"
    )
    assert page.audit() == []


def test_auditor_finds_the_old_dry_run_table_leaking_through_all_mentees():
    """The dry run's numbers as they were: each row suppressed on its own, the "All mentees"
    row in full. Group b has 3 mentees ("<5"), and 15 − 12 = 3."""
    people = {"a": {"r1": 8, "rn": 2, "u": 2}, "b": {"r1": 2, "u": 1}}
    cols = COLUMN_CATEGORIES
    cells, values, small = {}, {}, set()
    for g, cats in people.items():
        shown = protect_counts({c: sum(cats.get(x, 0) for x in cs) for c, cs in cols.items()})
        for c, cs in cols.items():
            k = (g, c)
            cells[k] = {(g, x) for x in cs}
            values[k] = sum(cats.get(x, 0) for x in cs)
            if shown[c] == "<5":
                small.add(k)
    for c, cs in cols.items():
        cells[("all", c)] = {(g, x) for g in people for x in cs}
        values[("all", c)] = sum(values[(g, c)] for g in people)
    found = {f.key for f in audit(cells, values, small=small)}
    assert ("b", "mentees") in found


# --- the dry run's numbers by group ------------------------------------------------------------

CATEGORIES = [*MATCHED, "u"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["A", "B", "C", "D"]),
        st.fixed_dictionaries({c: st.sampled_from([0, 0, 0, 1, 2, 3, 6, 9]) for c in CATEGORIES}),
        min_size=1,
    )
)
def test_dry_run_numbers_by_group_disclose_nothing(people):
    """The "All mentees" row and everything else the round page shows are taken as known
    exactly; no group's "<5" or "x" follows from them."""
    scores = {g: [0.5] * sum(n[c] for c in MATCHED) for g, n in people.items()}
    overall, rows, _ = group_table(people, scores, T)
    cols = list(COLUMN_CATEGORIES)
    cells, values, small, hidden = {}, {}, set(), set()
    for c in cols:
        cells[("all", c)] = {(g, x) for g in people for x in COLUMN_CATEGORIES[c]}
        values[("all", c)] = sum(people[g][x] for g in people for x in COLUMN_CATEGORIES[c])
        text = overall.cells[cols.index(c)]
        assert text == RULES.count(values[("all", c)])
    for row in rows:
        g = row.group
        for c, text in zip(cols, row.cells, strict=False):
            k = (g, c)
            cells[k] = {(g, x) for x in COLUMN_CATEGORIES[c]}
            values[k] = sum(people[g][x] for x in COLUMN_CATEGORIES[c])
            if text == RULES.small:
                small.add(k)
            elif text == HIDDEN:
                hidden.add(k)
            else:
                assert int(text) == values[k] and not RULES.is_small(values[k])
    assert audit(cells, values, small=small, hidden=hidden, threshold=T) == []
