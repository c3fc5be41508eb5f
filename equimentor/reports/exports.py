"""CSV, XLSX and PDF of the published (already suppressed) tables."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from equimentor.lib.cells import csv_writer, sheet_names, xlsx_append, xlsx_append_typed
from equimentor.reports import charts
from equimentor.reports.sections import Report


def to_csv(reports: list[Report], legend: str = "") -> str:
    """``legend`` (what "<5", "x" and "–" mean) comes first, so the file explains itself."""
    buf = io.StringIO()
    w = csv_writer(buf)
    if legend:
        w.writerows([[legend], []])
    for rep in reports:
        w.writerow([rep.title])
        w.writerow(rep.columns)
        w.writerows(rep.rows)
        for note in rep.notes:
            w.writerow([note])
        w.writerow([])
    return buf.getvalue()


def to_xlsx(reports: list[Report], legend: str = "") -> bytes:
    """One sheet per table, named after it (``sheet_names``), each ending with ``legend`` so that
    a sheet read alone explains its "<5", "x" and "–". Figures are numbers, percentages and dates
    as such (``xlsx_append_typed``); suppressed cells stay text."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for rep, name in zip(reports, sheet_names([r.title for r in reports]), strict=True):
        ws = wb.create_sheet(name)
        xlsx_append(ws, [rep.title])
        xlsx_append(ws, rep.columns)
        for row in rep.rows:
            xlsx_append_typed(ws, row)
        for note in rep.notes:
            xlsx_append(ws, [note])
        if legend:
            xlsx_append(ws, [legend])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_pdf(title: str, subtitle: str, reports: list[Report], facts: list[str] = ()) -> bytes:
    """The meeting pack: ``title``, then ``facts`` (when produced, the period, the contact), then
    ``subtitle`` (what "<5", "x" and "–" mean), then the tables."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    def para(text, style):
        # Paragraph reads its text as markup: <img src> would load a file or URL on the server,
        # and "<5" is not a tag. Every text here is data (scheme and institution names, labels).
        return Paragraph(escape(str(text)), style)

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=8)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        title=title,
        leftMargin=28,
        rightMargin=28,
        topMargin=28,
        bottomMargin=28,
    )
    story = [para(title, styles["Title"])]
    story += [para(fact, styles["BodyText"]) for fact in facts]
    story.append(para(subtitle, styles["BodyText"]))
    for rep in reports:
        story += [Spacer(1, 10), para(rep.title, styles["Heading2"])]
        chart = charts.for_report(rep)
        if chart is not None:
            story += [charts.pdf_drawing(chart), para(chart.summary, small), Spacer(1, 4)]
        data = [[para(c, small) for c in rep.columns]]
        data += [[para(c, small) for c in row] for row in rep.rows]
        table = Table(data, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        for note in rep.notes:
            story.append(para(note, small))
    doc.build(story)
    return out.getvalue()
