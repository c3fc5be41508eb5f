"""Charts beside the committee's tables (#21): the funnel and match rates as bars, matching
equity over rounds as lines, in the page (SVG with a text alternative) and the PDF; only
published figures are drawn."""

from __future__ import annotations

import io

from django.urls import reverse
from pypdf import PdfReader

from equimentor.matching import services as matching
from equimentor.reports import charts
from equimentor.reports.charts import Lines
from equimentor.reports.sections import Report
from tests import factories


def _report(lines):
    return Report("Matching equity by round", ["Round", "Group"], [], lines=lines)


def test_withheld_figures_are_gaps_and_a_group_never_published_is_not_drawn():
    chart = charts.for_report(
        _report(
            Lines(
                ["Round 1", "Round 2", "Round 3"],
                [
                    ("All mentees", [50.0, 60.0, None]),
                    ("Group A", [None, None, None]),
                    ("Group B", [40.0, None, 70.0]),
                ],
            )
        )
    )
    assert chart.kind == "lines"
    names = [s["name"] for s in chart.svg["series"]]
    assert names == ["All mentees", "Group B"]
    group_b = chart.svg["series"][1]
    assert len(group_b["points"]) == 2 and len(group_b["segments"]) == 2  # broken at the gap
    all_mentees = chart.svg["series"][0]
    assert len(all_mentees["points"]) == 2 and len(all_mentees["segments"]) == 1
    assert "All mentees 60% in Round 2" in chart.summary
    assert "Group B 70% in Round 3" in chart.summary and "Group A" not in chart.summary
    # each line differs by dash pattern as well as colour
    assert all_mentees["dash"] != group_b["dash"]
    # one round is not a line
    assert charts.for_report(_report(Lines(["Round 1"], [("All mentees", [50.0])]))) is None
    assert charts.pdf_drawing(chart).width == 640


TRIALS = "clinical trials"


def _round(scheme, coordinator, tag, groups):
    """A round for new mentees of ``groups`` ({ethnicity: n}), with places for all."""
    for j in range(sum(groups.values()) // 2 + 1):
        factories.approved_mentor(
            scheme, coordinator, f"{tag}-r{j}@example.org", capacity=2, interests=TRIALS
        )
    for ethnicity, n in groups.items():
        for i in range(n):
            factories.approved_mentee(
                scheme,
                coordinator,
                f"{tag}-{ethnicity}{i}@example.org",
                ethnicity,
                stage=2,
                interests=TRIALS,
                matching=False,
            )
    rnd = matching.open_round(scheme, actor=coordinator)
    matching.close_choices(rnd, actor=coordinator)
    matching.publish(rnd, actor=coordinator)


def test_the_committee_page_and_pdf_draw_equity_over_rounds(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _round(scheme_a, alice, "one", {"white": 6, "black": 6, "chinese": 2})
        _round(scheme_a, alice, "two", {"white": 6, "black": 6})
    client.force_login(alice)
    url = reverse("reports:committee", args=[scheme_a.slug]) + "?by1=ethnicity"
    page = client.get(url)
    html = page.content.decode()
    charted = page.context["charted"]
    equity, chart = next(
        (rep, c) for rep, c in charted if rep.title.startswith("Matching equity by round")
    )
    assert chart.kind == "lines" and chart.lines.categories == ["Round 1", "Round 2"]
    drawn = [s["name"] for s in chart.svg["series"]]
    # two people: their rate is withheld in the table, so there is no line for them
    assert "Chinese" not in " ".join(drawn) and "Chinese" not in chart.summary
    assert drawn[0] == "All mentees" and len(drawn) == 3
    # what is drawn is what the table publishes
    published = {(row[0], row[1]): row[3] for row in equity.rows}
    for series in chart.lines.series:
        for rnd, value in zip(chart.lines.categories, series[1], strict=True):
            if value is not None:
                assert published[(rnd, series[0])] == f"{value:.0f}%"
    assert '<svg role="img" aria-labelledby="chart-' in html
    assert "<desc id=" in html and chart.summary.split(":")[0] in html
    funnel = next(c for rep, c in charted if rep.title == "Funnel")
    assert funnel.kind == "bars" and funnel.summary.startswith("Bar chart of funnel")
    rates = next(c for rep, c in charted if rep.title.startswith("Equity audit: indic"))
    assert rates.title == "Match rate by Ethnicity" and rates.unit == "%"

    pdf = client.get(
        reverse("reports:export", args=[scheme_a.slug, "pdf"]) + "?by1=ethnicity"
    ).content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Line chart of matching equity by round by ethnicity: 3 lines over 2 rounds" in text
    assert "Bar chart of funnel:" in text
