"""Small-number suppression for counts shown in aggregate tables.

Counts from 1 to ``threshold - 1`` are shown as ``"<threshold"``; zero is shown as 0 (an empty
cell reveals nobody). Derived figures (percentages, means) are withheld when their base is
below the threshold.
"""

from __future__ import annotations

DEFAULT_THRESHOLD = 5


def count(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as it may be shown."""
    if 0 < n < threshold:
        return f"<{threshold}"
    return str(n)


def share(part: int, whole: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A percentage, withheld when the denominator or the part is small."""
    if whole < threshold or 0 < part < threshold:
        return "–"
    return f"{100 * part / whole:.0f}%"


def mean(values: list[float], threshold: int = DEFAULT_THRESHOLD, places: int = 2) -> str:
    """A mean, withheld when based on fewer than ``threshold`` values."""
    if len(values) < threshold:
        return "–"
    return f"{sum(values) / len(values):.{places}f}"


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
