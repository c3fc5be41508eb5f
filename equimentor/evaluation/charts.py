"""Small accessible SVG bar charts. Each chart is drawn beside a data table holding the same
numbers, so the SVG itself is decorative to screen readers (it has a title all the same)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import mark_safe

COLOURS = ["#1d5b79", "#b5562b", "#4d7c3a", "#6b4b8a"]


def bars(title: str, categories: list[str], series: list[tuple[str, list[float]]]) -> str:
    """A horizontal grouped bar chart: one group per category, one bar per series."""
    bar_h, gap, label_w, width = 14, 10, 260, 620
    plot_w = width - label_w - 50
    top = 10 + 18 * len(series)
    peak = max([v for _n, vals in series for v in vals] + [1])
    height = top + len(categories) * (bar_h * len(series) + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-hidden="true" focusable="false"><title>{escape(title)}</title>'
    ]
    for i, (name, _vals) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        parts.append(
            f'<rect x="{label_w}" y="{4 + 18 * i}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{label_w + 18}" y="{14 + 18 * i}" font-size="12">{escape(name)}</text>'
        )
    y = top
    for c, label in enumerate(categories):
        short = label if len(label) <= 42 else label[:40] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h * len(series) / 2 + 4}" font-size="12" '
            f'text-anchor="end">{escape(short)}</text>'
        )
        for i, (_name, vals) in enumerate(series):
            value = vals[c]
            w = plot_w * value / peak
            parts.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 3}" font-size="11">{value:g}</text>'
            )
            y += bar_h
        y += gap
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def for_block(block: dict) -> str:
    """The chart of an analysis block (option counts by role), or '' if nothing is shown."""
    if not block["rows"]:
        return ""
    series = []
    for i, col in enumerate(block["cols"]):
        if col["shown"]:
            series.append((col["label"], [row["cells"][i]["count"] for row in block["rows"]]))
    if not series:
        return ""
    return bars(block["item"]["text"], [str(r["label"]) for r in block["rows"]], series)
