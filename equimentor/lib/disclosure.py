"""Small-number suppression for counts shown in aggregate tables.

Counts from 1 to ``threshold - 1`` are shown as ``"<threshold"``; zero is shown as 0 (an empty
cell reveals nobody). Derived figures (percentages, means) are withheld when their base is
below the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median as _median

DEFAULT_THRESHOLD = 5


def visible_parts(sizes: dict, threshold: int = DEFAULT_THRESHOLD) -> set:
    """Which parts of a partition may be shown alongside the whole, so that nobody is exposed
    by differencing: every shown part has ``threshold`` or more (or is empty), and the parts
    that are hidden add up to 0 or to ``threshold`` or more — so the whole minus the shown parts
    never reveals a small group. If the whole is below the threshold, nothing is shown.

    Hidden parts are the small ones, then the smallest others until the hidden total is safe.
    """
    total = sum(sizes.values())
    if total < threshold:
        return set()
    hidden = {key for key, n in sizes.items() if 0 < n < threshold}
    while 0 < sum(sizes[k] for k in hidden) < threshold:
        others = sorted(
            (n, str(key), key) for key, n in sizes.items() if key not in hidden and n > 0
        )
        hidden.add(others[0][2])  # a non-empty part is left: the total is ≥ threshold
    return {key for key in sizes if key not in hidden}


def visible_cells(table: dict, threshold: int = DEFAULT_THRESHOLD, *, whole_shown: bool = False):
    """For a two-level breakdown ``{group: {subgroup: size}}`` (e.g. role, then a filter's
    answers), where each group is shown whole and also split into its subgroups: the groups and
    the (group, subgroup) cells that may be shown. A group is shown if it has ``threshold`` or
    more; its subgroups are a partition of a shown whole, protected by :func:`visible_parts`.
    If results for all groups together are shown too (``whole_shown``), the groups are
    protected the same way. A hidden group shows none of its cells.
    """
    sizes = {g: sum(parts.values()) for g, parts in table.items()}
    if whole_shown:
        groups = {g for g in visible_parts(sizes, threshold) if sizes[g] > 0}
    else:
        groups = {g for g, n in sizes.items() if n >= threshold}
    cells = set()
    for g in groups:
        cells |= {(g, s) for s in visible_parts(table[g], threshold)}
    return groups, cells


# --- The disclosure-control function used by every report, export and API --------------------
#
# Rules (documented in docs/reports.md and configurable per scheme within the bounds below):
#
# * a count from 1 to ``threshold - 1`` is shown as ``"<threshold"`` (primary suppression);
# * secondary suppression: wherever a total is published, the hidden cells of its row or column
#   are never a single cell, never all small, and add up to ``threshold`` or more, and an audit
#   (interval propagation over every published total; for a two-way table with row, column and
#   grand totals, then the exact bounds by maximum flow, since there a cell can be pinned by
#   rows and columns together, e.g. grand total − a column − a row) hides more until no hidden value can be worked out exactly from what is shown — so no
#   cell is recovered from row or column totals, or by subtracting one published view from
#   another built from the same table;
# * a percentage is not shown on a denominator below the threshold, nor when its part is hidden;
# * a mean or median is withheld when based on fewer than ``min_values`` values (8: so 7 or fewer
#   values never produce one);
# * optionally, shown counts are rounded to the nearest ``round_to`` (5) for publication.


HIDDEN = "x"  # a cell hidden to protect another (secondary suppression)
WITHHELD = "–"  # a derived figure that may not be shown
MIN_THRESHOLD = 3  # the absolute floor; report settings use 5 to 20
MIN_VALUES = 8
ROUNDING = (1, 5, 10)


@dataclass(frozen=True)
class Rules:
    threshold: int = DEFAULT_THRESHOLD
    min_values: int = MIN_VALUES
    round_to: int = 1

    def __post_init__(self):
        if not MIN_THRESHOLD <= self.threshold <= 50:
            raise ValueError(f"threshold must be between {MIN_THRESHOLD} and 50")
        if not self.threshold <= self.min_values <= 100:
            raise ValueError("min_values must be at least the threshold and at most 100")
        if self.round_to not in ROUNDING:
            raise ValueError(f"round_to must be one of {ROUNDING}")

    @property
    def small(self) -> str:
        return f"<{self.threshold}"

    @property
    def legend(self) -> str:
        """What the hidden cells of a report mean (its pages and exports say it this way)."""
        text = (
            f"Counts from 1 to {self.threshold - 1} are shown as “{self.small}”; “x” hides a "
            "cell to protect another; “–” marks a rate or median withheld (based on too few "
            f"people: medians need {self.min_values})."
        )
        if self.round_to > 1:
            text += f" Counts are rounded to the nearest {self.round_to}."
        return text

    def is_small(self, n: int) -> bool:
        return 0 < n < self.threshold

    def show(self, n: int) -> str:
        """A count that is not hidden, as published (zero stays 0)."""
        if self.round_to > 1 and n:
            return str(max(self.threshold, self.round_to * round(n / self.round_to)))
        return str(n)

    def count(self, n: int) -> str:
        return self.small if self.is_small(n) else self.show(n)

    def share(self, part: int, whole: int, *, hidden: bool = False) -> str:
        if hidden or whole < self.threshold or self.is_small(part):
            return WITHHELD
        return f"{100 * part / whole:.0f}%"

    def statistic(self, values, kind: str = "median", places: int = 1) -> str:
        values = list(values)
        if len(values) < self.min_values:
            return WITHHELD
        x = _median(values) if kind == "median" else sum(values) / len(values)
        return f"{x:.{places}f}"


def count(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as it may be shown (the :class:`Rules` defaults, with ``threshold``)."""
    return _simple(threshold).count(n)


def share(part: int, whole: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A percentage, withheld when the denominator or the part is small."""
    return _simple(threshold).share(part, whole)


def mean(values: list[float], threshold: int = DEFAULT_THRESHOLD, places: int = 2) -> str:
    """A mean, withheld when based on fewer than ``threshold`` values."""
    return Rules(threshold=threshold, min_values=threshold).statistic(values, "mean", places)


def _simple(threshold: int) -> Rules:
    return Rules(threshold=threshold, min_values=max(threshold, MIN_VALUES))


@dataclass
class Protected:
    """A table after disclosure control: ``display`` maps every key to the published text.

    Keys: ``("cell", row, col)``, ``("row", row)`` (row total), ``("col", col)`` (column total),
    ``("all",)`` (grand total).
    """

    rows: list
    cols: list
    values: dict
    display: dict
    hidden: set
    primary: set
    lines: list = field(default_factory=list)

    def cell(self, row, col) -> str:
        return self.display[("cell", row, col)]

    def is_hidden(self, key) -> bool:
        return key in self.hidden

    def row_total(self, row) -> str | None:
        return self.display.get(("row", row))

    def col_total(self, col) -> str | None:
        return self.display.get(("col", col))

    def grand(self) -> str | None:
        return self.display.get(("all",))


def protect(
    rows: list,
    cols: list,
    cells: dict,
    rules: Rules | None = None,
    *,
    row_totals: bool = True,
    col_totals: bool = True,
) -> Protected:
    """THE disclosure-control function: every report table, export and API answer passes here.

    ``cells`` maps ``(row, col)`` to a count; missing cells are 0. Row totals are published if
    ``row_totals`` (each row is then a partition of its total), column totals if
    ``col_totals``, and the grand total if both. A one-dimensional breakdown is a one-column
    table with ``col_totals`` (its total is the column total).
    """
    rules = rules or Rules()
    t = rules.threshold
    values: dict = {("cell", r, c): int(cells.get((r, c), 0)) for r in rows for c in cols}
    lines: list = []
    if row_totals:
        for r in rows:
            values[("row", r)] = sum(values[("cell", r, c)] for c in cols)
            lines.append(([("cell", r, c) for c in cols], ("row", r)))
    if col_totals:
        for c in cols:
            values[("col", c)] = sum(values[("cell", r, c)] for r in rows)
            lines.append(([("cell", r, c) for r in rows], ("col", c)))
    if row_totals and col_totals:
        values[("all",)] = sum(values[("col", c)] for c in cols)
        lines.append(([("col", c) for c in cols], ("all",)))
        lines.append(([("row", r) for r in rows], ("all",)))
    primary = {k for k, v in values.items() if rules.is_small(v)}
    hidden = set(primary)
    blank = False

    def hide_one_near(keys) -> bool:
        candidates = sorted(
            (values[k], str(k), k) for k in keys if k not in hidden and values[k] > 0
        )
        if candidates:
            hidden.add(candidates[0][2])
            return True
        return False

    for _ in range(10 * len(values) + 10):
        changed = False
        for members, total in lines:
            line = [*members, total]
            h = [k for k in line if k in hidden]
            if not h:
                continue
            if len(h) == 1 or sum(values[k] for k in h) < t or all(k in primary for k in h):
                changed |= hide_one_near(line)
        if changed:
            continue
        weak = _audit(values, hidden, primary, lines, t)
        exact = None
        if not weak and row_totals and col_totals:
            exact = _two_way_audit(values, hidden, primary, rows, cols, t)
            weak = [exact[0]] if exact else []
        if not weak:
            break
        for key in weak:
            near = [k for members, total in lines if key in (*members, total) for k in members]
            near += [total for members, total in lines if key in (*members, total)]
            if exact:
                near += sorted(exact[1], key=str)  # the published figures that pin it
            if hide_one_near(near):
                changed = True
                break
        if not changed:
            # last resort: publish nothing but the zeros, not even which figures are small (a
            # table of small counts alone can pin them: 1 + 1 under a "<3" total is 1 and 1)
            hidden |= {k for k in values if values[k] > 0}
            blank = True
            break
    display = {
        k: (
            HIDDEN
            if blank and k in hidden
            else rules.small
            if k in primary
            else HIDDEN
            if k in hidden
            else rules.show(v)
        )
        for k, v in values.items()
    }
    return Protected(list(rows), list(cols), values, display, hidden, primary, lines)


def _audit(values, hidden, primary, lines, t) -> list:
    """Hidden keys whose value a reader can work out from what is shown (interval propagation
    over every published total): pinned to one value, or a hidden secondary cell shown to be
    small. Empty when the table is safe to publish."""
    if not hidden:
        return []
    big = sum(v for k, v in values.items() if k[0] == "cell")
    lo = {}
    hi = {}
    for k, v in values.items():
        if k not in hidden:
            lo[k] = hi[k] = v
        elif k in primary:
            lo[k], hi[k] = 1, t - 1
        else:
            lo[k], hi[k] = 0, big
    for _ in range(50):
        moved = False
        for members, total in lines:
            # sum(members) == total
            smin = sum(lo[k] for k in members)
            smax = sum(hi[k] for k in members)
            nlo, nhi = max(lo[total], smin), min(hi[total], smax)
            if (nlo, nhi) != (lo[total], hi[total]):
                lo[total], hi[total], moved = nlo, nhi, True
            for k in members:
                others_min = smin - lo[k]
                others_max = smax - hi[k]
                klo = max(lo[k], lo[total] - others_max)
                khi = min(hi[k], hi[total] - others_min)
                if (klo, khi) != (lo[k], hi[k]):
                    lo[k], hi[k], moved = klo, khi, True
                    smin = sum(lo[m] for m in members)
                    smax = sum(hi[m] for m in members)
        if not moved:
            break
    weak = []
    for k in sorted(hidden, key=str):
        if lo[k] >= hi[k] or (k not in primary and lo[k] >= 1 and hi[k] < t):
            weak.append(k)
    return weak


def _two_way_audit(values, hidden, primary, rows, cols, t):
    """The first hidden figure of a two-way table with row, column and grand totals that a
    reader can work out from rows and columns *together* (pinned, or a hidden secondary cell
    shown to be small), with the published figures whose hiding could free it; or None.

    Interval propagation (``_audit``) follows one row or column at a time and misses, e.g., a
    cell equal to the grand total minus one column and one row. Here the table with its margins
    is the bipartite graph of its rows and columns (the totals as one more row and column, the
    margins negated so that every line sums to 0): a change to the hidden figures that keeps
    every published figure is a circulation on the hidden entries, within their bounds ("<t":
    1 to t − 1, "x": 0 or more). The most a hidden entry can rise or fall is a maximum flow
    around it (Cox's method); these are the exact integer bounds (for one table with its margins
    they equal the linear-programming ones of ``lib.disclosure_audit``, which the tests check).
    """
    R, C = ("R", "T"), ("C", "T")
    ends = {("all",): (R, C, 1)}
    for r in rows:
        ends[("row", r)] = (("R", r), C, -1)
        for c in cols:
            ends[("cell", r, c)] = (("R", r), ("C", c), 1)
    for c in cols:
        ends[("col", c)] = (R, ("C", c), -1)
    cap = max(t, max(values.values(), default=0)) + 1
    # residual capacities of the hidden entries: b = sign * a may rise by up, fall by down
    edges = {}
    for key in hidden:
        v = values[key]
        lo, hi = (1, t - 1) if key in primary else (0, cap + v)
        rise, fall = hi - v, v - lo  # of a
        _, _, sign = ends[key]
        edges[key] = (rise, fall) if sign > 0 else (fall, rise)

    def max_flow(source, sink, without, limit):
        """The largest flow (at most ``limit``) from ``source`` to ``sink`` through the hidden
        entries but ``without``; and the nodes still reachable from ``source`` (the cut)."""
        res: dict = {}
        for key, (up, down) in edges.items():
            if key == without:
                continue
            a, b, _ = ends[key]
            res.setdefault(a, {}).setdefault(b, 0)
            res.setdefault(b, {}).setdefault(a, 0)
            res[a][b] += up
            res[b][a] += down
        flow = 0
        while True:
            parent = {source: None}
            queue = [source]
            for node in queue:
                for nxt, room in res.get(node, {}).items():
                    if room > 0 and nxt not in parent:
                        parent[nxt] = node
                        queue.append(nxt)
            if sink not in parent or flow >= limit:
                return flow, set(parent)
            path, node = [], sink
            while parent[node] is not None:
                path.append((parent[node], node))
                node = parent[node]
            push = min(limit - flow, *(res[a][b] for a, b in path))
            for a, b in path:
                res[a][b] -= push
                res[b][a] += push
            flow += push

    for key in sorted(hidden, key=str):
        v = values[key]
        a, b, sign = ends[key]
        up, down = edges[key]
        need = cap
        b_up, cut_up = max_flow(b, a, key, min(up, need))
        b_down, cut_down = max_flow(a, b, key, min(down, need))
        rise, fall = (b_up, b_down) if sign > 0 else (b_down, b_up)
        lo, hi = v - fall, v + rise
        pinned = lo == hi
        small = key not in primary and lo >= 1 and hi <= t - 1
        if not (pinned or small):
            continue
        # the published figures crossing the cut of a direction the other figures hold back
        cut = cut_up if b_up < min(up, need) else cut_down
        crossing = {
            k
            for k, (x, y, _) in ends.items()
            if k not in hidden and k in values and ((x in cut) != (y in cut))
        }
        return key, crossing
    return None


def protect_counts(counts: dict, rules: Rules | None = None) -> dict:
    """Thin adapter over :func:`protect` for a flat set of counts published with no totals of
    their own (each key is one row of a one-column table): ``{key: n}`` to ``{key: text}``.

    With no published totals there is nothing to difference, so only primary suppression applies
    — the same text as :func:`count` (with rounding, if the rules ask for it)."""
    keys = list(counts)
    p = protect(
        keys,
        ["n"],
        {(k, "n"): counts[k] for k in keys},
        rules,
        row_totals=False,
        col_totals=False,
    )
    return {k: p.cell(k, "n") for k in keys}


# --- Several tables published together (one page, one export) ---------------------------------
#
# Rule: every table a page publishes is declared to one ``Linked`` for that page, with what its
# rows and columns mean in the page's shared dimensions (a group of people, a funnel step, ...).
# Each table is first protected on its own by :func:`protect`; then a cell that means the same
# people as a cell already published takes the same display (hidden stays hidden, shown stays
# shown), and the linear-programming auditor (``lib.disclosure_audit``) looks at everything the
# page has published so far. While it finds a suppressed cell that can be worked out, one more
# cell of the new table is hidden (a pinned "x" cell is simply shown: it tells nothing new).
# Tables published earlier are never changed, so the first table declared keeps priority; as a
# last resort the new table shows only what the page had already shown, and if even that leaves
# one of its "<t" cells worked out (earlier figures give it away) it raises ``Disclosive`` (or,
# with ``withhold=True``, is published as "–" throughout).


def _values(v) -> tuple:
    vs = v if isinstance(v, set | frozenset | list) else [v]
    return tuple(sorted(set(vs), key=repr))


def _freeze(pattern: dict) -> tuple:
    """A pattern (dimension -> allowed values; a missing dimension allows any) as a sorted,
    hashable tuple, so that the same cell is spelt the same way in every table."""
    return tuple(sorted(((d, _values(v)) for d, v in pattern.items()), key=repr))


def _meet(a: tuple, b: tuple) -> tuple:
    out = {d: set(vs) for d, vs in a}
    for d, vs in b:
        out[d] = out[d] & set(vs) if d in out else set(vs)
    return _freeze(out)


def _cell(patterns) -> tuple:
    return tuple(sorted(set(patterns), key=repr))


class Disclosive(ValueError):
    """A table that cannot be published alongside what a page already shows."""


class Linked:
    """The tables one page (or export) publishes, protected together against differencing.

    ``protect`` takes :func:`protect`'s arguments plus what rows and columns mean:
    ``rows_as`` / ``cols_as`` is a dimension name (the key is that dimension's value), a list of
    names (the key is a tuple of their values, e.g. ``("ethnicity", "gender")`` for intersectional
    rows; ``()`` is everyone), or a mapping ``{key: {dimension: value or set of values}}``. A
    column total counts everyone in that column (a table lists every group that has anyone);
    two tables that name the same dimension values count the same people.

    ``known`` records a figure the page shows outside any table (e.g. "Not matched (3)").
    """

    def __init__(self, rules: Rules | None = None):
        self.rules = rules or Rules()
        self.cells: dict = {}  # canonical cell (a sorted tuple of patterns) -> value
        self.state: dict = {}  # canonical cell -> "shown" | "small" | "hidden"
        self.tables = 0

    def known(self, pattern: dict, value: int) -> None:
        cell = _cell([_freeze(pattern)])
        self._record(cell, int(value))
        self.state[cell] = "shown"

    def _record(self, cell, value):
        if self.cells.setdefault(cell, value) != value:
            raise ValueError(f"one cell published with two values: {sorted(map(str, cell))}")

    def _spec(self, spec, key, default_dim):
        if spec is None:
            return _freeze({default_dim: key})
        if isinstance(spec, str):
            return _freeze({spec: key})
        if isinstance(spec, dict):
            return _freeze(spec[key])
        key = key if isinstance(key, tuple) else (key,)
        return _freeze(dict(zip(spec, key, strict=True)))

    def atoms(self) -> dict:
        """Every canonical cell's atoms in the finest cross-classification seen so far."""
        dims: dict = {}
        for cell in self.cells:
            for pattern in cell:
                for d, vs in pattern:
                    dims.setdefault(d, set()).update(vs)
        names = sorted(dims, key=str)
        out = {}
        for cell in self.cells:
            atoms = set()
            for pattern in cell:
                p = dict(pattern)
                axes = [sorted(p.get(d, dims[d]), key=repr) for d in names]
                atoms.update(_product(axes))
            out[cell] = atoms
        return out

    def audit(self):
        """What the auditor finds in everything published so far (empty when safe)."""
        from equimentor.lib.disclosure_audit import audit

        return audit(
            self.atoms(),
            self.cells,
            small={c for c, s in self.state.items() if s == "small"},
            hidden={c for c, s in self.state.items() if s == "hidden"},
            threshold=self.rules.threshold,
        )

    def protect(
        self,
        rows: list,
        cols: list,
        cells: dict,
        rules: Rules | None = None,
        *,
        row_totals: bool = True,
        col_totals: bool = True,
        rows_as=None,
        cols_as=None,
        withhold: bool = False,
    ) -> Protected:
        """:func:`protect` for one more table of the page (see the class). If no choice of
        hidden cells makes it safe with what the page already shows (its "<t" cells follow
        from earlier figures), raise :class:`Disclosive` — or, with ``withhold``, return it
        with every figure withheld ("–") and nothing published."""
        rules = rules or self.rules
        if rules.threshold != self.rules.threshold:
            raise ValueError("tables published together must share one threshold")
        p = protect(rows, cols, cells, rules, row_totals=row_totals, col_totals=col_totals)
        if withhold:
            try:
                return self.protect(
                    rows,
                    cols,
                    cells,
                    rules,
                    row_totals=row_totals,
                    col_totals=col_totals,
                    rows_as=rows_as,
                    cols_as=cols_as,
                )
            except Disclosive:
                display = dict.fromkeys(p.values, WITHHELD)
                return Protected(p.rows, p.cols, p.values, display, set(p.values), set(), p.lines)
        self.tables += 1
        rdim, cdim = f"_rows{self.tables}", f"_cols{self.tables}"
        rp = {r: self._spec(rows_as, r, rdim) for r in rows}
        cp = {c: self._spec(cols_as, c, cdim) for c in cols}
        canon = {}
        for key in p.values:
            if key[0] == "cell":
                canon[key] = _cell([_meet(rp[key[1]], cp[key[2]])])
            elif key[0] == "row":
                canon[key] = _cell(_meet(rp[key[1]], cp[c]) for c in cols)
            elif key[0] == "col":
                canon[key] = _cell([cp[key[1]]])
            else:
                canon[key] = _cell(cp[c] for c in cols)
        before = dict(self.state)
        mine: dict = {}  # canonical cell -> keys of this table
        for key, cell in canon.items():
            self._record(cell, p.values[key])
            mine.setdefault(cell, []).append(key)
        primary = {canon[k] for k in p.primary}
        for cell, keys in mine.items():
            if cell in before:
                self.state[cell] = before[cell]
            elif cell in primary:
                self.state[cell] = "small"
            else:
                self.state[cell] = "hidden" if any(k in p.hidden for k in keys) else "shown"
        free = [c for c in mine if c not in before]
        atoms = self.atoms()
        implied: set = set()  # hidden cells shown again because their value follows anyway
        checked: set = set()  # found safe; hiding more only widens what a reader must allow
        safe = False
        for _ in range(2 * len(free) + 2):
            found = self.audit_first(atoms, exclude=checked)
            if found is None:
                safe = True
                break
            cell = found.key
            if cell in free and self.state[cell] == "hidden" and found.why == "pinned":
                self.state[cell] = "shown"  # it tells nothing the page does not already say
                implied.add(cell)
                continue
            # the cells that can pin it: those sharing people with it, or with a shown cell
            # (a total, a known figure) that does
            reach = set(atoms[cell])
            for c, st in self.state.items():
                if st != "hidden" and atoms[c] & atoms[cell]:
                    reach |= atoms[c]
            near = sorted(
                (self.cells[c] == 0, self.cells[c], sorted(map(str, c)), c)
                for c in free
                if self.state[c] == "shown" and c not in implied and atoms[c] & reach
            )
            if not near:
                break
            for c in self._unpinning([n[3] for n in near], cell, atoms):
                self.state[c] = "hidden"
        if not safe:  # last resort: this table adds nothing the page had not shown
            for c in free:
                self.state[c] = "hidden"
            while (found := self.audit_first(atoms)) is not None:
                if found.key not in free or rules.is_small(self.cells[found.key]):
                    for c in free:  # the page stays as it was
                        del self.cells[c], self.state[c]
                    raise Disclosive(
                        "this table cannot be published with what the page already shows"
                    )
                self.state[found.key] = "shown"  # already follows from what the page shows
        hidden, primary_keys = set(), set()
        for key, cell in canon.items():
            if self.state[cell] == "hidden":
                hidden.add(key)
            elif rules.is_small(p.values[key]):  # "<t" here even if the page shows it elsewhere
                hidden.add(key)
                primary_keys.add(key)
        display = {
            k: rules.small if k in primary_keys else HIDDEN if k in hidden else rules.show(v)
            for k, v in p.values.items()
        }
        return Protected(p.rows, p.cols, p.values, display, hidden, primary_keys, p.lines)

    def _facts(self):
        from equimentor.lib.disclosure_audit import facts

        return facts(
            {c: v for c, v in self.cells.items() if self.state[c] == "shown"},
            [c for c, s in self.state.items() if s == "small"],
            self.rules.threshold,
        )

    def _unpinning(self, candidates: list, cell, atoms) -> list:
        """Cells to hide so that ``cell`` is free: candidates in turn — first those holding it
        at its bounds (non-zero shadow price), smallest first, zeros last — the first that
        frees it alone, else as many as it takes together (all of them at worst)."""
        from equimentor.lib.disclosure_audit import binding, disclosed

        def frees(extra) -> bool:
            for c in extra:
                self.state[c] = "hidden"
            still = disclosed(
                atoms,
                self._facts(),
                cell,
                self.cells[cell],
                hidden=self.state[cell] == "hidden",
                threshold=self.rules.threshold,
            )
            for c in extra:
                self.state[c] = "shown"
            return still is None

        tight = binding(atoms, self._facts(), cell)
        candidates = [c for c in candidates if c in tight] + [
            c for c in candidates if c not in tight
        ]
        for c in candidates[:4]:
            if frees([c]):
                return [c]
        lo, hi = 1, len(candidates)  # hiding more only frees more: the shortest prefix
        if not frees(candidates):
            return candidates
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if frees(candidates[:mid]) else (mid + 1, hi)
        return candidates[:lo]

    def audit_first(self, atoms=None, exclude=None):
        """The first suppressed cell a reader can work out, or None. Cells examined and found
        safe are added to ``exclude`` (a set), and not examined again."""
        from equimentor.lib.disclosure_audit import audit

        found = audit(
            atoms or self.atoms(),
            self.cells,
            small={c for c, s in self.state.items() if s == "small"},
            hidden={c for c, s in self.state.items() if s == "hidden"},
            threshold=self.rules.threshold,
            first=True,
            targets=None if exclude is None else set(self.cells) - exclude,
            safe=exclude,
        )
        return found[0] if found else None


def _product(axes):
    out = [()]
    for axis in axes:
        out = [(*t, v) for t in out for v in axis]
    return out
