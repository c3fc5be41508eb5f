"""The results page's tables as CSV and XLSX (#21), so a paper's tables are not transcribed from
HTML: per item and role, how many answered, counts and shares per answer, mean, median, minimum
and maximum, with exactly the figures the page withholds withheld."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from equimentor.core.models import AuditEvent
from tests import evaluation_setup as es


@pytest.fixture
def followup(scheme_a, alice):
    qs = es.install(scheme_a, alice)
    es.add(
        qs["aimms-month-6"],
        [
            (role, {**values, "still_meeting": "yes" if i % 3 else "no"})
            for i, (role, values) in enumerate(es.aimms_followup_rows())
        ],
    )
    return qs["aimms-month-6"]


def _page(client, scheme, query=""):
    return client.get(f"/manage/{scheme.slug}/evaluation/results/aimms-month-6/{query}")


def _csv(client, scheme, query=""):
    r = client.get(f"/manage/{scheme.slug}/evaluation/results/aimms-month-6/export/csv/{query}")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    return rows[0], rows[1:]


def _expected(blocks) -> dict:
    """(item, row) -> [cells per role] as the page shows them ("–" withheld, "N/A" not asked)."""
    out = {}
    for b in blocks:
        code = b["item"]["code"]
        out[(code, "Answered (n)")] = [
            str(c["n"]) if c["shown"] else ("–" if c["asked"] else "N/A") for c in b["cols"]
        ]
        for row in b["rows"]:
            out[(code, row["label"])] = [
                "N/A"
                if not cell["offered"]
                else (f"{cell['count']}|{cell['pct']}" if cell["shown"] else "–|–")
                for cell in row["cells"]
            ]
        for label, key in (
            ("Mean", "mean"),
            ("Median", "median"),
            ("Minimum", "min"),
            ("Maximum", "max"),
        ):
            if b["stats"]:
                out[(code, label)] = [s[key] if s["shown"] else "–" for s in b["stats"]]
        for m in b["matrix"]:
            out[(code, f"{m['label']}: mean")] = [
                s["mean"] if s["shown"] else "–" for s in m["stats"]
            ]
    return out


def _read(header, rows) -> dict:
    roles = [h for h in header[4:] if not h.endswith("%")]
    got = {}
    for r in rows:
        cells = r[4:]
        pairs = [(cells[2 * i], cells[2 * i + 1]) for i in range(len(roles))]
        key = (r[1], r[3])
        if (
            r[3] == "Answered (n)"
            or r[3] in ("Mean", "Median", "Minimum", "Maximum")
            or ": " in r[3]
        ):
            got[key] = [a for a, _ in pairs]
        else:
            got[key] = ["N/A" if a == "N/A" else f"{a}|{b}" for a, b in pairs]
    return got


def _same_number(page: str, exported: str) -> bool:
    try:
        return float(page) == float(exported)
    except ValueError:
        return page == exported


@pytest.mark.parametrize("k", [5, 3])
def test_the_export_holds_the_pages_figures_and_withholds_what_it_withholds(
    client, scheme_a, alice, followup, k
):
    es.set_thresholds(scheme_a, k=k, k_text=k + 3)
    client.force_login(alice)
    page = _page(client, scheme_a)
    expected = _expected(page.context["blocks"])
    header, rows = _csv(client, scheme_a)
    assert header[:6] == ["Section", "Item", "Question", "Row", "Mentees", "Mentees %"]
    assert header[6:] == ["Mentors", "Mentors %"]
    got = _read(header, rows)
    assert set(got) >= set(expected)
    for key, cells in expected.items():
        assert all(_same_number(p, e) for p, e in zip(cells, got[key], strict=True)), key
    # figures a paper reads: AIMMS's star means and Table 3 (mentees)
    assert float(got[("stars", "Mean")][0]) == 4.6
    assert got[("stars", "5 stars")][0] == "5|56%"
    html = page.content.decode()
    assert "5 (56%)" in html and "4.6" in html
    mentors = [cells[1] for cells in got.values()]
    if k == 5:  # four mentors: nothing of theirs is published, in the page or the file
        assert set(mentors) <= {"–", "–|–", "N/A"}
        assert "Mentors (hidden)" in html
        # four mentees ticked a personal development area: withheld within a shown role
        assert got[("dev_personal", "Answered (n)")] == ["–", "–"]
        assert got[("dev_personal", "Self confidence/validation")] == ["–|–", "–|–"]
    else:
        assert float(got[("stars", "Mean")][1]) == 3.8
        assert got[("dev_personal", "Self confidence/validation")] == ["4|100%", "0|0%"]
        assert got[("dev_personal", "Mentoring skills")] == ["N/A", "3|100%"]
        assert "4 (100%)" in html
    assert AuditEvent.objects.filter(
        action="evaluation.exported", data__format="results-csv"
    ).exists()


def test_a_filtered_export_is_the_filtered_page(client, scheme_a, alice, followup):
    es.set_thresholds(scheme_a, k=3, k_text=6)
    client.force_login(alice)
    query = "?filter=still_meeting&value=yes"
    page = _page(client, scheme_a, query)
    assert (
        'href="/manage/scheme-a/evaluation/results/aimms-month-6/export/csv/?filter=still_meeting&amp;value=yes"'
        in page.content.decode()
    )
    expected = _expected(page.context["blocks"])
    header, rows = _csv(client, scheme_a, query)
    got = _read(header, rows)
    for key, cells in expected.items():
        assert all(_same_number(p, e) for p, e in zip(cells, got[key], strict=True)), key
    unfiltered = _read(*_csv(client, scheme_a))
    assert got[("stars", "Answered (n)")] != unfiltered[("stars", "Answered (n)")]
    r = client.get(
        f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/csv/?filter=improve"
    )
    assert r.status_code == 404


def test_the_xlsx_stores_figures_as_numbers_and_withheld_cells_as_text(
    client, scheme_a, alice, followup
):
    client.force_login(alice)
    r = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/xlsx/")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Results", "About"]
    rows = list(wb["Results"].iter_rows(values_only=False))
    by_key = {(row[1].value, row[3].value): row for row in rows[1:]}
    mean = by_key[("stars", "Mean")]
    assert mean[4].value == pytest.approx(4.6) and mean[4].number_format == "0.0"
    assert mean[6].value == "–"  # the four mentors: withheld, as text
    five = by_key[("stars", "5 stars")]
    assert five[4].value == 5 and five[5].value == pytest.approx(0.56)
    assert five[5].number_format == "0%" and five[6].value == "–"
    assert by_key[("stars", "Answered (n)")][4].value == 9
    about = dict(wb["About"].iter_rows(values_only=True))
    assert about["Filter"] == "None: every response" and "5 or more" in about["Withheld"]


def test_another_schemes_staff_get_nothing(client, scheme_a, scheme_b, alice, followup):
    client.force_login(es.staff(scheme_b, "evaluator", "eve@example.org"))
    for fmt in ("csv", "xlsx"):
        r = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/{fmt}/")
        assert r.status_code == 403
    client.force_login(es.staff(scheme_a, "committee", "cmt@example.org"))
    r = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/csv/")
    assert r.status_code == 200  # aggregated and withheld: the committee reads the page too
    r = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/pdf/")
    assert r.status_code == 404


def test_the_export_costs_the_same_queries_however_many_responses(
    client, scheme_a, alice, followup
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/export/xlsx/"

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    es.add(followup, es.aimms_followup_rows())  # twice the responses
    assert queries() == before
