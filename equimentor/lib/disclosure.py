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
