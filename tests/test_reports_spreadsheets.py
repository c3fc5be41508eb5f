"""Report spreadsheets a committee can compute with (#21): figures written in the tables as text
("12", "3.5", "34%", dates) are numbers and dates in the XLSX, shown as they were written;
suppressed cells ("<5", "x", "–") stay text; every sheet is named after its table, within
Excel's 31 characters and distinctly."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from django.urls import reverse
from openpyxl import load_workbook

from equimentor.lib.cells import sheet_names, typed
from equimentor.reports.exports import to_xlsx
from equimentor.reports.sections import Report
from tests import factories


def test_figures_are_numbers_and_suppressed_cells_stay_text():
    rows = [["Mentees", "12", "34%", "<5", "x", "3.5", "2026-03-01", "–", "12.5%", "-3"]]
    report = Report("Funnel", ["Group", *"abcdefghi"], rows)
    sheet = load_workbook(io.BytesIO(to_xlsx([report]))).worksheets[0]
    cells = list(sheet.iter_rows(min_row=3, max_row=3))[0]
    assert [c.value for c in cells] == [
        "Mentees",
        12,
        0.34,
        "<5",
        "x",
        3.5,
        datetime(2026, 3, 1),
        "–",
        0.125,
        -3,
    ]
    formats = {c.column_letter: c.number_format for c in cells}
    assert (formats["B"], formats["C"], formats["F"], formats["I"]) == ("0", "0%", "0.0", "0.0%")
    assert formats["G"] == "yyyy-mm-dd"
    assert [type(c.value) for c in cells][3:5] == [str, str]


def test_sheets_are_named_after_their_tables_distinctly():
    titles = [
        "Funnel",
        "Equity audit: match rate by ethnicity × gender, with first choices",
        "Equity audit: match rate by ethnicity × gender, with shares",
        "Equity audit: match rate by ethnicity × gender, with first choices",
        "Who/what? [draft]",
    ]
    names = sheet_names(titles)
    assert names[0] == "Funnel"
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert names[1] == "Equity audit match rate by…"
    assert names[3].endswith("(3)") and names[2].endswith("(2)")
    assert names[4] == "Who-what draft"


def test_the_committee_export_computes(client, alice, scheme_a):
    for n in range(3):
        factories.register_participant(scheme_a, f"p{n}@example.org")
    client.force_login(alice)
    xlsx = client.get(reverse("reports:export", args=["scheme-a", "xlsx"])).content
    book = load_workbook(io.BytesIO(xlsx))
    assert all(len(ws.title) <= 31 for ws in book.worksheets)
    assert len({ws.title for ws in book.worksheets}) == len(book.worksheets)
    values = [v for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row]
    # counts are numbers: at least the zeros and totals of the funnel
    assert any(isinstance(v, int) and not isinstance(v, bool) for v in values)
    # and no cell is a figure left as text
    assert not [v for v in values if isinstance(v, str) and typed(v)[1] is not None]


def test_the_meeting_pack_says_when_what_period_and_whom_to_ask(client, alice, scheme_a):
    """The committee PDF had no date, period or contact (#21)."""
    from pypdf import PdfReader

    from equimentor.enrolment.models import Participant

    person = factories.register_participant(scheme_a, "p@example.org")
    Participant.objects.filter(pk=person.pk).update(
        registered_at=datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
    )
    alice.time_zone = "Asia/Tokyo"  # shown in the reader's zone (no summer time there)
    alice.save()
    client.force_login(alice)
    pdf = client.get(reverse("reports:export", args=["scheme-a", "pdf"]) + "?by1=gender").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Produced " in text and "(JST)" in text
    assert "Covers everything recorded from 14 March 2025 to " in text
    assert "Grouped by gender." in text
    assert "Questions about this report: a@example.org." in text
