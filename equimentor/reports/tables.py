"""One protection of a page's mentee population (``page_tables``): the funnel by group, the
equity counts, the overall funnel and the conversions all read one ``protect()``, so a cell has
one display wherever it appears; the funnel by quarter is protected on its own and made to agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from equimentor.lib.disclosure import HIDDEN, Protected, Rules, protect
from equimentor.reports.labels import EQUITY_COLS, FUNNEL
from equimentor.reports.queries import Scope, equity_counts, funnel_counts, prepare


def rows_of(counts: dict) -> list:
    keys = set()
    for step in counts.values():
        keys |= set(step)
    return _sorted_keys(keys)


# --- One protection of the mentee population per page --------------------------------------
#
# The funnel by group and the equity counts count the same people (a group's "Matched" is one
# cell in both), the overall funnel and the conversions are the funnel's column totals, and the
# funnel by quarter is another partition of the same people with the same totals. Protected one
# table at a time, one table could show what another hides. So a page protects its mentee
# population ONCE: one ``protect()`` over the page's groups (or the one row ``()``) and the union
# of the funnel steps and the equity columns, and every one of those tables is read from it.
# The quarter table is protected on its own, then its totals are made to agree with the page's
# (a total hidden in either is hidden in both, with the column that would give it away).
# This costs one ``protect()`` instead of four; the LP auditor (``disclosure.Linked``) is too
# slow for page rendering and is used in tests/test_reports_page_disclosure.py instead.


@dataclass
class PageTables:
    """The mentee tables of one page, protected together (see ``page_tables``)."""

    by: list
    main: Protected  # rows: the page's groups (or ``()``); columns: steps + equity-only columns
    steps: list  # the funnel steps in ``main`` (eoi/eligible only when no identity breakdown)
    funnel_rows: list  # the rows the funnel by group shows
    equity_rows: list  # the rows the equity counts show
    overall_steps: list  # the steps of the overall funnel
    rest: Protected | None  # overall steps not in ``main`` (eoi/eligible by identity): one row
    quarter: Protected  # the funnel by quarter (with column totals)
    quarter_by: list

    def total(self, step) -> tuple[Protected, tuple]:
        """(table, key) of the page's one published figure for everyone in ``step``."""
        if step in self.main.cols:
            return self.main, (("col", step) if self.by else ("cell", (), step))
        return self.rest, ("cell", (), step)


def page_tables(scope: Scope, by: list[str], rules: Rules, quarter_by=()) -> PageTables:
    """The mentee tables of a page broken down by ``by`` (with its funnel by quarter broken down
    by ``quarter_by``), protected once and cached in ``scope.cache``."""
    return scope.cached(
        ("protected", tuple(by), tuple(quarter_by), rules),
        lambda: _page_tables(scope, list(by), rules, list(quarter_by)),
    )


def _page_tables(scope: Scope, by: list[str], rules: Rules, quarter_by: list[str]) -> PageTables:
    # the finest table first: every count below is summed from it (one query over people)
    prepare(scope, by + [b for b in quarter_by if b not in by], days=False)
    funnel = funnel_counts(scope, by)
    equity = equity_counts(scope, by)
    steps = [s for s, _ in FUNNEL if s in funnel]
    cols = steps + [c for c, _ in EQUITY_COLS if c not in funnel]
    counts = {**funnel, **equity}
    funnel_rows = rows_of(funnel) or [()]
    equity_rows = rows_of(equity) or [()]
    rows = _sorted_keys(set(funnel_rows) | set(equity_rows))
    cells = {(k, c): counts[c].get(k, 0) for k in rows for c in cols}
    main = protect(rows, cols, cells, rules, row_totals=False, col_totals=bool(by))
    overall = funnel_counts(scope, []) if by else funnel
    overall_steps = [s for s, _ in FUNNEL if s in overall]
    rest_steps = [s for s in overall_steps if s not in steps]
    rest = None
    if rest_steps:  # expressions of interest carry no identity answers: counted overall only
        rest = protect(
            [()],
            rest_steps,
            {((), s): overall[s].get((), 0) for s in rest_steps},
            rules,
            row_totals=False,
            col_totals=False,
        )
    qcounts = funnel_counts(scope, quarter_by, quarter=True)
    qsteps = [s for s, _ in FUNNEL if s in qcounts]
    qkeys = rows_of(qcounts) or [()]
    quarter = protect(
        qkeys,
        qsteps,
        {(k, s): qcounts[s].get(k, 0) for k in qkeys for s in qsteps},
        rules,
        row_totals=False,
        col_totals=True,
    )
    tables = PageTables(
        by, main, steps, funnel_rows, equity_rows, overall_steps, rest, quarter, quarter_by
    )
    for s in qsteps:
        if s in overall_steps:
            _agree(tables.total(s), (quarter, ("col", s)))
    return tables


def _agree(*figures) -> None:
    """One figure (everyone in a step) published by several tables as ``(table, key)``: if any
    table hides it, every table does, and a table that showed it hides the rest of its column too
    (its shown cells would add up to it). Hiding more never reveals more."""
    if not any(key in p.hidden for p, key in figures):
        return
    for p, key in figures:
        if key in p.hidden:
            continue
        keys = [key]
        if key[0] == "col":
            keys += [("cell", r, key[1]) for r in p.rows]
        for k in keys:
            if k not in p.hidden and p.values[k] > 0:
                p.hidden.add(k)
                p.display[k] = HIDDEN


def _sorted_keys(keys) -> list:
    return sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k))
