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
#   (interval propagation over every published total) hides more until no hidden value can be
#   worked out exactly from what is shown — so no cell is recovered from row or column totals,
#   or by subtracting one published view from another built from the same table;
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
        if not weak:
            break
        for key in weak:
            near = [k for members, total in lines if key in (*members, total) for k in members]
            near += [total for members, total in lines if key in (*members, total)]
            if hide_one_near(near):
                changed = True
                break
        if not changed:
            hidden |= {k for k in values if values[k] > 0}  # last resort: publish nothing
            break
    display = {
        k: (rules.small if k in primary else HIDDEN if k in hidden else rules.show(v))
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
