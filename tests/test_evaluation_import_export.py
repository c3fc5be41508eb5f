"""Import from a forms tool's CSV (page and command; bad rows by number, nothing half-imported)
and exports read back: CSV, XLSX, REDCap dictionary and data."""

from __future__ import annotations

import csv
import io

import pytest
import yaml
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from equimentor.evaluation import analysis, exports, importer
from equimentor.evaluation.definitions import fields_of
from equimentor.evaluation.models import Response
from tests import evaluation_setup as es

FORMS_CSV = (
    "ID,Start time,Are you a mentor or mentee?,What do you want to get out of the scheme?,"
    "Do you feel that having a successful career in academic medicine has been more challenging because you are a woman from an ethnic minority?,Why\n"
    "1,2022-03-01,Mentee,To develop contacts and networks;General support,Yes,I cannot be what I don't see\n"
    "2,2022-03-02,Mentor,To support women from ethnic minorities in academic medicine,No,\n"
    "3,2022-04-11,Mentee,How to navigate my career as a woman of ethnic minority,No,\n"
)
MAPPING = {
    "ID": importer.IGNORE,
    "Start time": importer.MONTH,
    "Are you a mentor or mentee?": importer.ROLE,
    "What do you want to get out of the scheme?": "want",
    "Do you feel that having a successful career in academic medicine has been more challenging because you are a woman from an ethnic minority?": "challenged",
    "Why": "challenged_why",
}


@pytest.fixture
def qs(scheme_a, alice):
    return es.install(scheme_a, alice)


def test_import_page_maps_previews_and_imports(client, scheme_a, alice, qs):
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    upload = io.BytesIO(FORMS_CSV.encode())
    upload.name = "forms.csv"
    r = client.post(
        url, {"step": "upload", "questionnaire": "aimms-baseline", "file": upload, "role": ""}
    )
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "Map the file to" in page
    fields = {f"col_{i}": t for i, t in enumerate(MAPPING.values())}
    preview = client.post(url, {"step": "preview", **fields}).content.decode()
    assert "all 3 rows are correct" in preview and Response.objects.count() == 0
    client.post(url, {"step": "import", **fields})
    assert Response.objects.count() == 3
    want = sorted(a.value for r in Response.objects.all() for a in r.answers.filter(item="want"))
    assert ["networks", "general_support"] in want and ["other"] in want
    assert {r.month.isoformat() for r in Response.objects.all()} == {"2022-03-01", "2022-04-01"}


def test_bad_rows_are_reported_by_number_and_nothing_is_imported(tmp_path, scheme_a, qs):
    bad = FORMS_CSV + "4,2022-05-01,Mentor,General support,Maybe,\n5,yesterday,Student,,,\n"
    definition = qs["aimms-baseline"].definition
    check = importer.check(bad, definition, MAPPING)
    # an answer that is no option (or no role) is refused for its column before any row is read
    assert check.errors == [
        (
            1,
            "Column “Are you a mentor or mentee?”: the answer “Student” (1 row) is not mapped "
            "to an option.",
        ),
        (
            1,
            "Column “Do you feel that having a successful career in academic medicine has been "
            "more challenging because you are a woman from an ethnic minority?”: the answer "
            "“Maybe” (1 row) is not mapped to an option.",
        ),
    ]
    values = {"challenged": {"Maybe": "__none"}, importer.ROLE: {"Student": "__none"}}
    check = importer.check(bad, definition, MAPPING, values=values)
    rows = sorted({row for row, _msg in check.errors})
    assert rows == [5, 6] and not check.ok
    messages = " ".join(m for _r, m in check.errors)
    assert "'general_support' is not one of the options" in messages  # a mentee-only option
    assert "role '' is not mentee or mentor" in messages  # "Student" left no role
    assert "not a date" in messages
    (tmp_path / "data.csv").write_text(bad)
    (tmp_path / "map.yaml").write_text(yaml.safe_dump({"columns": MAPPING}))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_responses",
            scheme_a.slug,
            "aimms-baseline",
            str(tmp_path / "data.csv"),
            mapping=str(tmp_path / "map.yaml"),
        )
    assert Response.objects.count() == 0
    (tmp_path / "good.csv").write_text(FORMS_CSV)
    out = io.StringIO()
    call_command(
        "import_responses",
        scheme_a.slug,
        "aimms-baseline",
        str(tmp_path / "good.csv"),
        mapping=str(tmp_path / "map.yaml"),
        dry_run=True,
        stdout=out,
    )
    assert "Dry run" in out.getvalue() and Response.objects.count() == 0
    call_command(
        "import_responses",
        scheme_a.slug,
        "aimms-baseline",
        str(tmp_path / "good.csv"),
        mapping=str(tmp_path / "map.yaml"),
        stdout=out,
    )
    assert Response.objects.count() == 3


def _known(qs):
    es.add(
        qs["aimms-month-6"],
        es.aimms_followup_rows()
        + [
            (
                "mentee",
                {
                    "organisation.organised": 4,
                    "dev_professional": (["networks", "other"], "Writing"),
                    "improve": (None, "More training, please"),
                    "still_meeting": "yes",
                },
            ),
        ],
    )
    es.add(
        qs["aimms-baseline"],
        [
            (
                "mentor",
                {
                    "want": ["support_women", "understand_difficulties"],
                    "challenged": "yes",
                    "challenged_why": (None, "Bias"),
                },
            )
        ],
    )


def _as_values(resps):
    return sorted(
        (r.wave, r.role, sorted((k, str(v[0]), v[1]) for k, v in r.values.items())) for r in resps
    )


def test_exports_read_back(client, scheme_a, alice, qs):
    _known(qs)
    client.force_login(alice)
    base = f"/manage/{scheme_a.slug}/evaluation/export/"
    resps = analysis.load(scheme_a)
    items = exports.union_items([q.definition for q in qs.values()])

    # CSV: codes and labels; and it imports back unchanged (headers are item codes)
    text = client.get(base + "csv/").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(resps)
    mentor_base = next(r for r in rows if r["wave"] == "baseline")
    assert mentor_base["want___understand_difficulties"] == "1" and mentor_base["want___cv"] == "0"
    assert (
        "To support women" in mentor_base["want_label"] and mentor_base["challenged_label"] == "Yes"
    )
    six = [r for r in rows if r["wave"] == "month_6"]
    assert sorted(int(r["stars"]) for r in six if r["stars"]) == sorted(
        es.STARS["mentee"] + es.STARS["mentor"]
    )

    # XLSX
    wb = load_workbook(io.BytesIO(client.get(base + "xlsx/").content))
    sheet = list(wb["Responses"].iter_rows(values_only=True))
    assert list(sheet[0]) == list(rows[0].keys()) and len(sheet) == len(rows) + 1
    assert sorted(str(c if c is not None else "") for c in sheet[1]) == sorted(
        str(v) for v in rows[0].values()
    )
    assert "Dictionary" in wb.sheetnames

    # REDCap dictionary and data
    dic = list(csv.reader(io.StringIO(client.get(base + "redcap-dictionary/").content.decode())))
    assert dic[0] == exports.DICTIONARY_HEADER and dic[1][0] == "record_id"
    by_name = {row[0]: row for row in dic[1:]}
    assert (
        by_name["want"][3] == "checkbox"
        and "understand_difficulties, To increase" in by_name["want"][5]
    )
    assert by_name["organisation_organised"][15] == "organisation"
    assert by_name["challenged_why"][11] == "[challenged] = 'yes' or [challenged] = 'no'"
    data = list(csv.DictReader(io.StringIO(client.get(base + "redcap-data/").content.decode())))
    assert {d["redcap_event_name"] for d in data} == {"baseline_arm_1", "month_6_arm_1"}
    assert [d["record_id"] for d in data] == [str(i) for i in range(1, len(resps) + 1)]
    dictionary_fields = set(by_name)
    for col in data[0]:
        if col == "redcap_event_name":
            continue
        assert col.split("___")[0] in dictionary_fields, col
    # read the REDCap data back into answers and compare with what is stored
    back = []
    for d in data:
        values = {}
        for item in items:
            code, kind = item["code"], item["type"]
            if kind == "multiple":
                picked = [
                    o
                    for o in importer.definitions.option_labels(item)
                    if d.get(f"{code}___{o}") == "1"
                ]
                if picked:
                    values[code] = (picked, d.get(f"{code}_other", ""))
            elif kind == "matrix":
                for f in fields_of(item):
                    if d.get(exports.var(f)):
                        values[f] = (int(d[exports.var(f)]), "")
            elif kind == "text":
                if d.get(code):
                    values[code] = (None, d[code])
            elif d.get(code):
                v = d[code]
                values[code] = (
                    int(v) if kind != "single" else v,
                    d.get(f"{code}_other", "") if item.get("other") else "",
                )
        back.append(
            analysis.Resp(
                role=d["respondent_role"],
                wave={"baseline_arm_1": "baseline", "month_6_arm_1": "month_6"}[
                    d["redcap_event_name"]
                ],
                values=values,
            )
        )
    assert _as_values(back) == _as_values(resps)
