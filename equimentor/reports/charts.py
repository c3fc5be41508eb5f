"""Charts beside the report tables a committee reads first, in the page (SVG) and the meeting
pack (PDF): the funnel and the equity indicators as bars, matching equity over rounds as lines.

A chart draws only figures its table publishes (a withheld figure is a gap, never a guess), says
in words what it shows (its text alternative, also printed under it in the PDF), and points to
its table, which holds the same figures. Lines differ by dash pattern and marker as well as
colour, so nothing is told by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Colour-blind-safe (Okabe–Ito) colours, each with its own dash pattern and marker.
STYLES = [
    ("#0072B2", "", "circle"),
    ("#D55E00", "6 3", "square"),
    ("#009E73", "2 3", "triangle"),
    ("#CC79A7", "8 3 2 3", "diamond"),
    ("#E69F00", "4 4", "circle"),
    ("#56B4E9", "1 2", "square"),
    ("#000000", "10 4", "triangle"),
]
ALL = "All mentees"


@dataclass
class Lines:
    """Values of several series over the same categories (``None``: not published)."""

    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str = "%"


@dataclass
class Chart:
    kind: str  # "bars" or "lines"
    title: str
    summary: str  # the text alternative
    unit: str = ""
    bars: list[tuple[str, float]] = field(default_factory=list)
    lines: Lines | None = None
    # SVG geometry (computed once here, drawn by templates/reports/_chart.html)
    height: int = 0
    svg: dict = field(default_factory=dict)


def _fmt(value: float, unit: str) -> str:
    return f"{value:.0f}{unit}"


def for_report(rep) -> Chart | None:
    """The chart of a report, or None when it has nothing (publishable) to draw."""
    if rep.lines is not None:
        lines = rep.lines
        drawn = [(name, vals) for name, vals in lines.series if any(v is not None for v in vals)]
        if not drawn or len(lines.categories) < 2:
            return None  # a line needs two rounds; the table says the rest
        return _lines_chart(rep.title, Lines(lines.categories, drawn, lines.unit))
    if rep.chart:
        if "indicators" in rep.title:  # the equity indicators draw their match rates
            title = "Match rate" + rep.title.removeprefix("Equity audit: indicators")
            return _bars_chart(title, list(rep.chart), "%")
        return _bars_chart(rep.title, list(rep.chart), "")
    return None


def _bars_chart(title: str, bars: list[tuple[str, float]], unit: str) -> Chart:
    listed = "; ".join(f"{label} {_fmt(v, unit)}" for label, v in bars)
    summary = f"Bar chart of {title.lower()}: {listed}. The same figures are in the table."
    top = max(v for _, v in bars) or 1
    rows = [
        {"label": label, "value": _fmt(v, unit), "y": 30 + 26 * i, "w": round(360 * v / top)}
        for i, (label, v) in enumerate(bars)
    ]
    for row in rows:
        row["text_y"], row["value_x"] = row["y"] + 14, row["w"] + 224
    chart = Chart("bars", title, summary, unit, bars=bars, height=40 + 26 * len(bars))
    chart.svg = {"rows": rows}
    return chart


def _lines_chart(title: str, lines: Lines) -> Chart:
    last = []
    for name, values in lines.series:
        shown = [(c, v) for c, v in zip(lines.categories, values, strict=True) if v is not None]
        if shown:
            last.append(f"{name} {_fmt(shown[-1][1], lines.unit)} in {shown[-1][0]}")
    summary = (
        f"Line chart of {title.lower()}: {len(lines.series)} "
        f"{'line' if len(lines.series) == 1 else 'lines'} over {len(lines.categories)} "
        f"{'round' if len(lines.categories) == 1 else 'rounds'} ("
        + ", ".join(lines.categories)
        + "). Latest published: "
        + "; ".join(last)
        + ". Withheld figures are gaps. The same figures are in the table."
    )
    left, right, top_y, bottom = 56, 400, 20, 200
    n = len(lines.categories)

    def x(i: int) -> float:
        return (left + right) / 2 if n == 1 else left + i * (right - left) / (n - 1)

    def y(v: float) -> float:
        return bottom - (bottom - top_y) * v / 100

    series = []
    for k, (name, values) in enumerate(lines.series):
        colour, dash, marker = STYLES[k % len(STYLES)]
        segments, current = [], []
        points = []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
                continue
            px, py = round(x(i), 1), round(y(v), 1)
            current.append(f"{px},{py}")
            points.append({"x": px, "y": py, "label": f"{name}, {lines.categories[i]}"})
        if current:
            segments.append(current)
        series.append(
            {
                "name": name,
                "colour": colour,
                "dash": dash,
                "marker": marker,
                "segments": [" ".join(s) for s in segments],
                "points": points,
                "legend_y": top_y + 6 + 20 * k,
            }
        )
    ticks = [{"y": round(y(v), 1), "label": f"{v}%"} for v in (0, 25, 50, 75, 100)]
    cats = [
        {"x": round(x(i), 1), "label": c[:18] + ("…" if len(c) > 18 else "")}
        for i, c in enumerate(lines.categories)
    ]
    height = max(bottom + 40, top_y + 20 * len(series) + 20)
    chart = Chart("lines", title, summary, lines.unit, lines=lines, height=height)
    chart.svg = {
        "series": series,
        "ticks": ticks,
        "categories": cats,
        "left": left,
        "right": right,
        "bottom": bottom,
        "label_y": bottom + 18,
        "legend_x": right + 24,
    }
    return chart


def pdf_drawing(chart: Chart):
    """The chart as a reportlab Drawing for the meeting pack."""
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    if chart.kind == "bars":
        height = 30 + 18 * len(chart.bars)
        d = Drawing(640, height)
        bc = HorizontalBarChart()
        bc.x, bc.y, bc.width, bc.height = 200, 10, 380, height - 20
        # reportlab draws the first category at the bottom: reverse to read top-down
        bc.data = [[v for _, v in reversed(chart.bars)]]
        bc.categoryAxis.categoryNames = [label[:40] for label, _ in reversed(chart.bars)]
        bc.categoryAxis.labels.fontSize = 7
        bc.valueAxis.valueMin = 0
        bc.valueAxis.labels.fontSize = 7
        bc.bars[0].fillColor = colors.HexColor(STYLES[0][0])
        bc.barLabelFormat = "%.0f" + ("%%" if chart.unit == "%" else "")
        bc.barLabels.fontSize = 7
        bc.barLabels.nudge = 10
        d.add(bc)
        return d
    # lines: the page's own geometry (SVG's y grows downwards, the PDF's upwards), drawn with
    # shapes, so a withheld figure is a gap here too (reportlab's line charts join over it)
    from reportlab.graphics.shapes import Circle, Line, Polygon, PolyLine, Rect, String

    g, h = chart.svg, chart.height
    d = Drawing(640, h)

    def up(y: float) -> float:
        return h - y

    for t in g["ticks"]:
        d.add(Line(g["left"], up(t["y"]), g["right"], up(t["y"]), strokeColor=colors.lightgrey))
        d.add(String(g["left"] - 6, up(t["y"]) - 3, t["label"], fontSize=7, textAnchor="end"))
    for c in g["categories"]:
        d.add(String(c["x"], up(g["label_y"]), c["label"], fontSize=7, textAnchor="middle"))
    for s in g["series"]:
        colour = colors.HexColor(s["colour"])
        dash = [float(p) for p in s["dash"].split()] or None
        for seg in s["segments"]:
            points = []
            for xy in seg.split():
                x, y = (float(v) for v in xy.split(","))
                points += [x, up(y)]
            if len(points) >= 4:
                d.add(PolyLine(points, strokeColor=colour, strokeWidth=1.5, strokeDashArray=dash))
        for p in s["points"]:
            x, y = p["x"], up(p["y"])
            if s["marker"] == "square":
                d.add(Rect(x - 3, y - 3, 6, 6, fillColor=colour, strokeColor=None))
            elif s["marker"] == "triangle":
                d.add(
                    Polygon(
                        [x, y + 4, x + 4, y - 3, x - 4, y - 3], fillColor=colour, strokeColor=None
                    )
                )
            elif s["marker"] == "diamond":
                d.add(
                    Polygon(
                        [x, y + 4, x + 4, y, x, y - 4, x - 4, y], fillColor=colour, strokeColor=None
                    )
                )
            else:
                d.add(Circle(x, y, 3, fillColor=colour, strokeColor=None))
        ly = up(s["legend_y"])
        d.add(
            Line(
                g["legend_x"],
                ly,
                g["legend_x"] + 28,
                ly,
                strokeColor=colour,
                strokeWidth=1.5,
                strokeDashArray=dash,
            )
        )
        d.add(String(g["legend_x"] + 34, ly - 3, s["name"][:40], fontSize=7))
    return d
