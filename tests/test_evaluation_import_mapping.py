"""Importing a survey tool's export as it comes (#21): the AIMMS six-month questionnaire exported
by a forms tool (tests/data/aimms-month-6-forms-export.csv: trailing full stops, "I had" for
"I have", "(0-10)" and "(1-5 stars)" hints, a matrix as "Question [Row]", "Neutral", "Strongly
Agree", a "Yes" on an agreement item, "5 stars", and a Timestamp column that is no question).

Before, 3 of its 12 question columns were matched, the rest were ignored without a word and the
dry run said every row was correct."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from equimentor.evaluation import importer, mapping
from equimentor.evaluation.models import Answer, Response
from tests import evaluation_setup as es
from tests import factories

DATA = Path(__file__).parent / "data"
MESSY = (DATA / "aimms-month-6-forms-export.csv").read_text(encoding="utf-8")
QUESTIONS = [
    "stars",
    "meetings",
    "still_meeting",
    "good_relationship",
    "support_helpful",
    "felt_supported",
    "organisation.organised",
    "organisation.process",
    "organisation.accessible",
    "expectations",
    "similar_useful",
    "confidence_career",
]


def make_rows():
    """Scheme A, alice and the shipped questionnaires: made once for this module's tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    return scheme_a, alice, es.install(scheme_a, alice)


scheme_a, alice, qs = factories.rows_as("scheme_a", "alice", "qs")


def _plan(qs, text=MESSY):
    headers, rows = importer.read(text)
    return mapping.plan(headers, rows, qs["aimms-month-6"].definition)


def test_every_question_column_is_matched_with_a_confidence_and_the_timestamp_is_not(qs):
    plan = _plan(qs)
    by_header = {c.header: c for c in plan.columns}
    assert [c.target for c in plan.columns[2:]] == QUESTIONS
    assert by_header["Are you a mentor or a mentee?"].target == importer.ROLE
    for c in plan.columns[1:]:
        assert c.how == "matched" and mapping.AUTO <= c.confidence <= 100, c.header
    # the wording drifted: not every match is exact, and the confidence says so
    assert by_header["I had a good relationship with my mentoring partner."].confidence < 100
    assert [c.header for c in plan.unmapped] == ["Timestamp"]


def test_answers_are_mapped_and_a_yes_on_an_agreement_item_waits_for_the_evaluator(qs):
    plan = _plan(qs)
    answers = {
        (plan.columns[i].target, v.raw): v for i, (_item, vals) in plan.values.items() for v in vals
    }
    assert answers[("felt_supported", "Neutral")].target == "3"
    assert answers[("good_relationship", "Strongly Agree")].target == "5"
    assert answers[("good_relationship", "agree")].target == "4"
    assert answers[("stars", "5 stars")].target == "5"
    assert answers[("still_meeting", "yes")].target == "yes"
    assert answers[("similar_useful", "10")].target == "10"
    yes = answers[("good_relationship", "Yes")]
    assert yes.target == "" and yes.suggestion == "4"
    assert [(c.target, v.raw) for c, v in plan.unmapped_values] == [("good_relationship", "Yes")]


def test_the_dry_run_refuses_unmapped_columns_and_answers(qs):
    definition = qs["aimms-month-6"].definition
    plan = _plan(qs)
    check = importer.check(MESSY, definition, plan.mapping())
    assert not check.ok and not check.rows
    messages = [m for _row, m in check.errors]
    assert any("“Timestamp” is not mapped" in m for m in messages)
    assert any("the answer “Yes” (1 row) is not mapped" in m for m in messages)
    columns = {**plan.mapping(), "Timestamp": importer.IGNORE}
    check = importer.check(MESSY, definition, columns, values={"good_relationship": {"Yes": "4"}})
    assert check.ok and len(check.rows) == 9, check.errors


def _upload(client, url, text, **extra):
    upload = io.BytesIO(text.encode())
    upload.name = "export.csv"
    return client.post(
        url,
        {"step": "upload", "questionnaire": "aimms-month-6", "file": upload, "role": "", **extra},
    )


def _fields(page_form):
    """The mapping form's fields as the page would post them (each at its initial value)."""
    return {name: page_form[name].value() or "" for name in page_form.fields}


def test_import_page_shows_matches_lists_what_is_unmapped_and_refuses_until_ignored(
    client, scheme_a, alice, qs
):
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    assert _upload(client, url, MESSY).status_code == 302
    page = client.get(url)
    html = page.content.decode()
    assert "97% alike" in html  # "I had a good relationship…"
    assert "14 columns: <strong>1 not mapped yet</strong>" in html
    assert 'href="#id_col_0">Column “Timestamp”' in html
    assert "the answer “Yes”" in html and "Agree (suggested)" in html
    assert "Import 9 responses" not in html
    fields = _fields(page.context["mapping_form"])
    assert fields["col_0"] == ""

    # importing now is refused, and nothing is stored
    r = client.post(url, {**fields, "step": "import"})
    assert r.status_code == 200 and Response.objects.count() == 0
    assert "“Timestamp” is not mapped" in r.content.decode()

    # ignored explicitly; the "Yes" still waits for the evaluator
    r = client.post(url, {**fields, "col_0": importer.IGNORE, "step": "preview"})
    html = r.content.decode()
    assert "0 not mapped yet" not in html and "1 answer to map" in html
    assert "Import 9 responses" not in html
    form = r.context["mapping_form"]
    fields = _fields(form)
    yes = next(
        name
        for name, f in form.fields.items()
        if name.startswith("val_") and f.label == "“Yes”" and "Agree (suggested)" in str(f.choices)
    )
    assert fields[yes] == ""
    r = client.post(url, {**fields, yes: "4", "step": "preview"})
    html = r.content.decode()
    assert "all 9 rows are correct" in html and "Import 9 responses" in html
    r = client.post(url, {**_fields(r.context["mapping_form"]), "step": "import"})
    assert r.status_code == 302 and Response.objects.count() == 9
    stored = sorted(Answer.objects.filter(item="good_relationship").values_list("value", flat=True))
    assert stored == [3, 4, 4, 4, 4, 4, 5, 5, 5]
    assert sorted(Answer.objects.filter(item="felt_supported").values_list("value", flat=True)) == [
        1,
        2,
        3,
        3,
        3,
        4,
        4,
        4,
        4,
    ]
    assert Answer.objects.filter(item="confidence_career").count() == 9


def test_two_columns_cannot_hold_one_question(client, scheme_a, alice, qs):
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _upload(client, url, MESSY)
    fields = _fields(client.get(url).context["mapping_form"])
    r = client.post(url, {**fields, "col_0": "stars", "step": "preview"})
    assert r.status_code == 400 and "is mapped to this question already" in r.content.decode()


def test_another_schemes_evaluator_cannot_reach_the_import(client, scheme_a, scheme_b, alice, qs):
    outsider = es.staff(scheme_b, "evaluator", "eve@example.org")
    client.force_login(outsider)
    r = client.get(f"/manage/{scheme_a.slug}/evaluation/import/")
    assert r.status_code == 403


def test_the_command_takes_a_mapping_file_and_refuses_what_it_leaves_out(tmp_path, scheme_a, qs):
    from django.core.management import CommandError, call_command

    plan = _plan(qs)
    data = tmp_path / "export.csv"
    data.write_text(MESSY, encoding="utf-8")
    spec = tmp_path / "map.yaml"
    # the columns as matched, but neither the timestamp nor the "Yes" decided
    spec.write_text(
        yaml.safe_dump({"columns": {k: t for k, t in plan.mapping().items() if t}}),
        encoding="utf-8",
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_responses",
            scheme_a.slug,
            "aimms-month-6",
            str(data),
            mapping=str(spec),
            stderr=err,
        )
    assert "column “Timestamp” is not in the mapping" in err.getvalue()
    assert "the answer “Yes” (1 row) is not mapped" in err.getvalue()
    spec.write_text(
        yaml.safe_dump(
            {
                "columns": {**plan.mapping(), "Timestamp": importer.IGNORE},
                "values": {"good_relationship": {"Yes": 4}},
            }
        ),
        encoding="utf-8",
    )
    out = io.StringIO()
    call_command(
        "import_responses", scheme_a.slug, "aimms-month-6", str(data), mapping=str(spec), stdout=out
    )
    assert "Imported 9 responses" in out.getvalue() and Response.objects.count() == 9


def test_the_commands_help_documents_the_mapping_with_an_example():
    from django.core.management import load_command_class

    cmd = load_command_class("equimentor.evaluation", "import_responses")
    text = cmd.create_parser("equimentor", "import_responses").format_help()
    assert '    "Timestamp": __ignore   # a column that is no question' in text
    assert "  values:" in text and '"Yes": 4' in text and "__none" in text


# -- a mapping saved for the next file --------------------------------------------------------------

HEADER = MESSY.splitlines()[0]
SECOND = "\n".join(
    [
        HEADER,
        "2024/09/02 09:00:00,Mentee,4,3,Yes,Yes,Neutral,Agree,Agree,Agree,Agree,Agree,8,7",
        "2024/09/02 10:00:00,Mentee,5 stars,5,No,Strongly Agree,Agree,Neutral,Agree,Neutral,Agree,Agree,9,9",
        "2024/09/03 11:30:00,Mentor,3,1,No,Neutral,Disagree,Neutral,Neutral,Disagree,Agree,Disagree,5,4",
        "",
    ]
)


def _import_first_file_saving_the_mapping(client, url):
    _upload(client, url, MESSY)
    form = client.get(url).context["mapping_form"]
    yes = next(
        n
        for n, f in form.fields.items()
        if n.startswith("val_") and "Agree (suggested)" in str(f.choices)
    )
    fields = {**_fields(form), "col_0": importer.IGNORE, yes: "4", "save_as": "Forms export"}
    r = client.post(url, {**fields, "step": "preview"})
    fields = {**_fields(r.context["mapping_form"]), "save_as": "Forms export"}
    assert client.post(url, {**fields, "step": "import"}).status_code == 302


def _stored():
    return sorted((a.item, str(a.value)) for a in Answer.objects.all())


def test_a_saved_mapping_maps_the_next_file_with_no_questions_asked(client, scheme_a, alice, qs):
    from equimentor.core.models import AuditEvent
    from equimentor.evaluation.models import ImportMapping

    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _import_first_file_saving_the_mapping(client, url)
    saved = ImportMapping.objects.get(scheme=scheme_a, code="aimms-month-6")
    assert saved.name == "Forms export" and saved.columns["Timestamp"] == importer.IGNORE
    assert saved.values == {"good_relationship": {"Yes": "4"}}  # only what was not obvious
    event = AuditEvent.objects.get(action="evaluation.import_mapping.saved")
    assert event.actor == alice and event.data["columns"] == 14
    assert "Yes" not in str(event.data)

    assert _upload(client, url, SECOND).status_code == 302
    page = client.get(url)
    html = page.content.decode()
    assert "The saved mapping “Forms export” was applied" in html
    assert "all mapped or ignored" in html and "to map" not in html
    assert "all 3 rows are correct" in html and "Import 3 responses" in html
    assert "From the saved mapping" in html
    r = client.post(url, {**_fields(page.context["mapping_form"]), "step": "import"})
    assert r.status_code == 302 and Response.objects.count() == 12
    assert Answer.objects.filter(item="good_relationship", value=4).count() == 6


def test_the_command_with_the_saved_mapping_imports_the_same(client, tmp_path, scheme_a, alice, qs):
    from django.core.management import CommandError, call_command

    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _import_first_file_saving_the_mapping(client, url)
    by_page = _stored()
    assert len(by_page) > 9 * 12 - 5
    data = tmp_path / "export.csv"
    data.write_text(MESSY, encoding="utf-8")

    Response.objects.all().delete()
    out = io.StringIO()
    call_command(
        "import_responses",
        scheme_a.slug,
        "aimms-month-6",
        str(data),
        saved="Forms export",
        stdout=out,
    )
    assert "Imported 9 responses" in out.getvalue() and _stored() == by_page

    # the same mapping downloaded from the page, as a file
    from equimentor.evaluation.models import ImportMapping

    saved = ImportMapping.objects.get()
    body = client.get(f"{url}mappings/{saved.pk}.yaml")
    assert body["Content-Type"].startswith("application/yaml")
    spec = tmp_path / "map.yaml"
    spec.write_bytes(body.content)
    assert yaml.safe_load(body.content)["values"] == {"good_relationship": {"Yes": "4"}}
    Response.objects.all().delete()
    call_command(
        "import_responses", scheme_a.slug, "aimms-month-6", str(data), mapping=str(spec), stdout=out
    )
    assert _stored() == by_page

    with pytest.raises(CommandError, match=r"No mapping 'Qualtrics' .* \(saved: 'Forms export'\)"):
        call_command(
            "import_responses", scheme_a.slug, "aimms-month-6", str(data), saved="Qualtrics"
        )


def test_another_schemes_evaluator_can_neither_see_nor_use_the_saved_mapping(
    client, tmp_path, scheme_a, scheme_b, alice, qs
):
    from django.core.management import CommandError, call_command

    from equimentor.evaluation.models import ImportMapping

    client.force_login(alice)
    url_a = f"/manage/{scheme_a.slug}/evaluation/import/"
    _import_first_file_saving_the_mapping(client, url_a)
    saved = ImportMapping.objects.get()
    assert "Forms export" in client.get(url_a).content.decode()

    es.install(scheme_b, es.staff(scheme_b, "coordinator", "cora@example.org"))
    outsider = es.staff(scheme_b, "evaluator", "eve@example.org")
    client.force_login(outsider)
    url_b = f"/manage/{scheme_b.slug}/evaluation/import/"
    page = client.get(url_b).content.decode()
    assert "Forms export" not in page and "Saved mappings" not in page
    r = _upload(client, url_b, MESSY, saved=str(saved.pk))
    assert r.status_code == 400 and "Select a valid choice" in r.content.decode()
    # by default nothing of the other scheme is applied: the timestamp and the "Yes" wait
    assert _upload(client, url_b, MESSY).status_code == 302
    html = client.get(url_b).content.decode()
    assert "1 not mapped yet" in html and "1 answer to map" in html
    assert "saved mapping" not in html.split("<h2>Map the file")[1].split("<form")[0]
    # its file and its deletion are the other scheme's
    assert client.get(f"{url_b}mappings/{saved.pk}.yaml").status_code == 404
    assert client.get(f"{url_a}mappings/{saved.pk}.yaml").status_code == 403
    assert client.post(f"{url_b}mappings/{saved.pk}/delete/").status_code == 404
    assert client.post(f"{url_a}mappings/{saved.pk}/delete/").status_code == 403
    assert ImportMapping.objects.filter(pk=saved.pk).exists()
    # nor does the command find it under the other scheme
    data = tmp_path / "export.csv"
    data.write_text(MESSY, encoding="utf-8")
    with pytest.raises(CommandError, match="none is saved"):
        call_command(
            "import_responses", scheme_b.slug, "aimms-month-6", str(data), saved="Forms export"
        )


def test_a_saved_mapping_is_deleted_by_an_analyst_of_its_scheme(client, scheme_a, alice, qs):
    from equimentor.core.models import AuditEvent
    from equimentor.evaluation.models import ImportMapping

    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _import_first_file_saving_the_mapping(client, url)
    saved = ImportMapping.objects.get()
    assert client.post(f"{url}mappings/{saved.pk}/delete/").status_code == 302
    assert not ImportMapping.objects.exists()
    assert AuditEvent.objects.filter(action="evaluation.import_mapping.deleted").count() == 1


def test_a_column_with_many_different_answers_lists_the_most_frequent(client, scheme_a, alice, qs):
    lines = ["Are you a mentor or a mentee?,How would you rate the scheme overall?"]
    lines += [f"Mentee,{n} of my own words" for n in range(60)] + ["Mentee,5", "Mentee,5"]
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _upload(client, url, "\n".join(lines) + "\n")
    page = client.get(url)
    form = page.context["mapping_form"]
    listed = [f.label for n, f in form.fields.items() if n.startswith("val_1_")]
    assert len(listed) == mapping.MAX_VALUES and listed[0] == "“5”"
    html = page.content.decode()
    assert "21 more different answers, each in fewer rows, are not listed" in html
    assert "60 answers to map" in html


def test_changing_a_columns_question_and_importing_at_once_imports_nothing(
    client, scheme_a, alice, qs
):
    """The answers listed belong to the question the column held: a new question's answers are
    shown before anything is imported."""
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _upload(client, url, MESSY)
    form = client.get(url).context["mapping_form"]
    yes = next(
        n
        for n, f in form.fields.items()
        if n.startswith("val_") and "Agree (suggested)" in str(f.choices)
    )
    fields = {**_fields(form), "col_0": importer.IGNORE, yes: "4"}
    # the relationship column (6th) now said to hold the expectations item, the expectations
    # column ignored
    fields.update({"col_5": "expectations", "col_11": importer.IGNORE})
    r = client.post(url, {**fields, "step": "import"})
    assert r.status_code == 200 and Response.objects.count() == 0
    html = r.content.decode()
    assert "you changed which question a column holds" in html
    assert "1 answer to map" in html  # "Yes" again, now for the expectations item
    r = client.post(url, {**_fields(r.context["mapping_form"]), "step": "preview"})
    assert "the answer “Yes” (1 row) is not mapped" in r.content.decode()


QUALTRICS = (DATA / "aimms-month-6-qualtrics-export.csv").read_text(encoding="utf-8")


def test_a_qualtrics_export_is_read_by_its_wording_and_its_own_columns_ignored_at_once(
    client, scheme_a, alice, qs
):
    """Qualtrics heads columns with ids (Q1), then the wording, then import ids; its own
    columns (times, progress, ids) match no question and are ignored in one explicit step."""
    headers, rows = importer.read(QUALTRICS)
    assert headers[8] == "How would you rate the scheme overall?" and len(rows) == 3
    plan = _plan(qs, QUALTRICS)
    assert [c.target for c in plan.columns[8:]] == [
        "stars",
        "meetings",
        "good_relationship",
        "organisation.organised",
        "organisation.process",
        "organisation.accessible",
        "recommend",
    ]
    assert len(plan.unmapped) == 8
    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"
    _upload(client, url, QUALTRICS, role="mentee")
    page = client.get(url)
    html = page.content.decode()
    assert "Ignore the 8 columns not mapped and check" in html
    # "Somewhat agree" is no option of the five-point scale: the evaluator decides
    assert "the answer “Somewhat agree”" in html
    form = page.context["mapping_form"]
    somewhat = next(n for n, f in form.fields.items() if f.label == "“Somewhat agree”")
    r = client.post(url, {**_fields(form), somewhat: "4", "step": "ignore-unmapped"})
    html = r.content.decode()
    assert "all 3 rows are correct" in html, html[html.find("Nothing can") :][:800]
    r = client.post(url, {**_fields(r.context["mapping_form"]), "step": "import"})
    assert r.status_code == 302 and Response.objects.count() == 3
    assert sorted(Answer.objects.filter(item="recommend").values_list("value", flat=True)) == [
        "unsure",
        "yes",
        "yes",
    ]


def test_an_export_with_a_column_per_option_imports_back_as_it_was(client, scheme_a, alice, qs):
    """Our own CSV export (REDCap-style ticks: dev_personal___confidence = 1/0, matrix rows as
    organisation_organised, "other" texts as dev_personal_other) maps by itself once the
    columns that are no question (response number, wave, labels) are ignored, and imports
    back to the same answers."""
    from equimentor.evaluation import analysis

    q = qs["aimms-month-6"]
    es.add(
        q,
        es.aimms_followup_rows()
        + [
            (
                "mentee",
                {
                    "organisation.organised": 4,
                    "dev_professional": (["networks", "other"], "Writing"),
                    "improve": (None, "More training, please"),
                    "still_meeting": "yes",
                    "good_relationship": 5,
                },
            )
        ],
    )

    def answers():
        return sorted(
            (r.role, sorted((k, str(v[0]), v[1]) for k, v in r.values.items()))
            for r in analysis.load(scheme_a, q.code)
        )

    before = answers()
    client.force_login(alice)
    text = client.get(f"/manage/{scheme_a.slug}/evaluation/export/csv/?q={q.code}").content.decode()
    headers, rows = importer.read(text)
    plan = mapping.plan(headers, rows, q.definition)
    by_key = {c.key: c for c in plan.columns}
    assert by_key["dev_personal___confidence"].target == "dev_personal___confidence"
    assert by_key["organisation_organised"].target == "organisation.organised"
    assert by_key["dev_professional_other"].target == "dev_professional.other"
    assert {c.key for c in plan.unmapped} >= {"response", "wave"}
    columns = {k: t or importer.IGNORE for k, t in plan.mapping().items()}
    check = importer.check(text, q.definition, columns)
    assert check.ok, check.errors[:5]
    Response.objects.all().delete()
    es.services.import_responses(q, check.rows, actor=alice)
    assert answers() == before


def test_a_role_worded_otherwise_is_suggested_not_assumed(qs):
    text = (
        "What is your role in the scheme?,How would you rate the scheme overall?\n"
        "I am a mentee,5\nMentors,4\nMentee,4\nBoth,3\n"
    )
    plan = _plan(qs, text)
    assert plan.columns[0].target == importer.ROLE
    roles = {v.raw: (v.target, v.suggestion) for v in plan.values[0][1]}
    assert roles == {
        "I am a mentee": ("", "mentee"),
        "Mentors": ("mentor", ""),
        "Mentee": ("mentee", ""),
        "Both": ("", ""),
    }
    definition = qs["aimms-month-6"].definition
    check = importer.check(text, definition, plan.mapping())
    assert [m for _r, m in check.errors] == [
        "Column “What is your role in the scheme?”: the answer “Both” (1 row) is not mapped to "
        "an option.",
        "Column “What is your role in the scheme?”: the answer “I am a mentee” (1 row) is not "
        "mapped to an option.",
    ]
    values = {importer.ROLE: {"I am a mentee": "mentee", "Both": importer.NO_ANSWER}}
    check = importer.check(text, definition, plan.mapping(), "mentor", values)
    assert check.ok and [r.role for r in check.rows] == ["mentee", "mentor", "mentee", "mentor"]


def test_google_forms_ticks_joined_by_commas_are_read_against_the_options(qs):
    definition = qs["aimms-month-6"].definition
    items = {i["code"]: i for i in definition["items"]}
    prior, personal = items["prior_mentoring"], items["dev_personal"]
    assert mapping.pieces(prior, "Yes, as a mentee, Yes, as a mentor") == [
        "Yes, as a mentee",
        "Yes, as a mentor",
    ]
    assert mapping.pieces(personal, "Leadership, Writing grants, mostly, Goal setting") == [
        "Leadership",
        "Writing grants, mostly",
        "Goal setting",
    ]
    assert mapping.pieces(personal, "Leadership; Goal setting") == ["Leadership", "Goal setting"]
    text = (
        "Role,Before this scheme had you taken part in mentoring?,"
        "Mentoring has helped me develop personally in the following areas\n"
        'Mentee,"Yes, as a mentee, Yes, as a mentor","Leadership, Writing grants, mostly"\n'
    )
    check = importer.check(text, definition, _plan(qs, text).mapping())
    assert check.ok, check.errors
    values = check.rows[0].values
    assert values["prior_mentoring"] == (["as_mentee", "as_mentor"], "")
    assert values["dev_personal"] == (["leadership", "other"], "Writing grants, mostly")


def test_the_saved_mappings_list_costs_the_same_queries_however_long(client, scheme_a, alice, qs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from equimentor.evaluation import services

    client.force_login(alice)
    url = f"/manage/{scheme_a.slug}/evaluation/import/"

    def queries(total):
        from equimentor.evaluation.models import ImportMapping

        while ImportMapping.objects.count() < total:
            n = ImportMapping.objects.count()
            services.save_import_mapping(
                scheme_a,
                "aimms-month-6",
                f"Export {n}",
                columns={"Q": "stars"},
                values={},
                actor=alice,
            )
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(url).content.decode()
        assert html.count("Download as a file (YAML)") == total
        return len(ctx.captured_queries)

    assert queries(1) == queries(6)
