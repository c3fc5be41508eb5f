"""Questionnaire outcomes by group in the equity audit: anonymous responses grouped only by their
own answers (role, the questionnaire's own optional items), every figure through the disclosure
rules, on the dashboard, the committee page, the exports and the API — and nowhere else."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.evaluation import definitions, services
from equimentor.evaluation.models import Questionnaire
from equimentor.lib.disclosure import Rules
from equimentor.reports.outcomes import questionnaire_outcomes
from equimentor.schemes.models import StaffRole
from tests import evaluation_setup as es
from tests import factories

FOLLOWUP = "aimms-month-6"
STARS, GOOD, RECOMMEND = (
    "Rating (stars): mean",
    "Good relationship: % agree",
    "Would recommend: % yes",
)


def make_rows():
    """Scheme A, alice and the shipped questionnaires' follow-up: made once for this module's
    tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    return scheme_a, alice, es.install(scheme_a, alice)[FOLLOWUP]


scheme_a, alice, followup = factories.rows_as("scheme_a", "alice", "followup")


def _table(outcomes):
    rep = outcomes.report
    return {row[0]: dict(zip(rep.columns[1:], row[1:], strict=True)) for row in rep.rows}


def test_the_installed_questionnaire_asks_the_schemes_identity_questions_optionally(
    scheme_a, followup
):
    items = {i["code"]: i for i in followup.items}
    dims = {i["dimension"] for i in definitions.dimension_items(followup.definition)}
    assert dims == set(scheme_a.identity_dimensions)  # ethnicity, gender, disability
    assert "caring" not in items and "migration" not in items
    for item in definitions.dimension_items(followup.definition):
        assert item["type"] == "single" and item["filter"] and not item.get("required")
        assert item["options"][-1] == {"code": "prefer_not_to_say", "label": "Prefer not to say"}
    assert [o["code"] for o in items["disability"]["options"]] == [
        "yes",
        "no",
        "prefer_not_to_say",
    ]
    with pytest.raises(definitions.DefinitionError, match="never required"):
        definitions.validate(
            {
                "code": "x",
                "title": "X",
                "wave": "month_6",
                "items": [{"code": "gender", "dimension": "gender", "required": True}],
            }
        )


def test_outcomes_by_role_and_group_computed_by_hand(scheme_a, followup):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    by_role = _table(questionnaire_outcomes(scheme_a, Rules()))
    assert by_role["Mentees"]["Responses"] == "14"
    assert by_role["Mentees"][STARS] == "3.9"
    assert by_role["Mentees"][GOOD] == "79%"
    assert by_role["Mentees"][RECOMMEND] == "93%"
    # four mentors: a small group, every figure withheld
    assert by_role["Mentors"]["Responses"] == "<5"
    assert {by_role["Mentors"][c] for c in (STARS, GOOD, RECOMMEND)} == {"–"}

    out = questionnaire_outcomes(scheme_a, Rules(), FOLLOWUP, ["disability"])
    assert out.by == ["disability"] and ("disability", "Disability") in out.group_choices
    table = _table(out)
    no, yes = table["Mentees · Disability: No"], table["Mentees · Disability: Yes"]
    assert (no["Responses"], yes["Responses"]) == ("8", "6")
    assert (no[GOOD], yes[GOOD]) == ("75%", "83%")
    assert (no[RECOMMEND], yes[RECOMMEND]) == ("100%", "83%")
    # 6 star ratings are too few for a mean; then 4.5 over 8 must go too, or the mentees' 3.9
    # over 14 would give the other group's mean: (14 × 3.857 − 8 × 4.5) / 6 = 3.0
    assert (no[STARS], yes[STARS]) == ("–", "–")
    assert "Disability: % yes" not in out.report.columns  # a grouping item is not an outcome
    assert not any("1.0" in cell for row in out.report.rows for cell in row)


def test_a_small_group_is_suppressed_and_the_total_does_not_reveal_it(scheme_a, followup):
    # 8 say no, 3 say yes, 1 leaves it blank: 12 mentees in all
    es.add(
        followup,
        es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES[:3], none=[es.OUTCOMES_YES[3]], mentors=0),
    )
    table = _table(questionnaire_outcomes(scheme_a, Rules(), FOLLOWUP, ["disability"]))
    assert table["Mentees"]["Responses"] == "12"
    assert table["Mentees · Disability: Yes"]["Responses"] == "<5"
    assert table["Mentees · Disability: Not answered"]["Responses"] == "<5"
    # 12 − 8 would give the small groups together (4): the 8 is hidden as well
    assert table["Mentees · Disability: No"]["Responses"] == "x"
    for label in (
        "Mentees · Disability: No",
        "Mentees · Disability: Yes",
        "Mentees · Disability: Not answered",
    ):
        assert {table[label][c] for c in (STARS, GOOD, RECOMMEND)} == {"–"}
    assert table["Mentors"]["Responses"] == "0"


def test_two_items_at_once_keep_the_margins_safe(scheme_a, followup):
    rows = es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES, mentors=0)
    for i, (_role, values) in enumerate(rows):
        values["gender"] = "prefer_not_to_say" if i in (0, 8) else "woman"
    es.add(followup, rows)
    out = questionnaire_outcomes(scheme_a, Rules(), FOLLOWUP, ["disability", "gender"])
    table = _table(out)
    assert out.by == ["disability", "gender"]
    assert "Mentees · Disability: No · Gender: Woman" in table
    # one "prefer not to say" in each disability group: small; the "woman" cells (5 and 7) are
    # hidden too, or the disability margins (6 and 8, published alone) would give them away
    small = [k for k in table if k.endswith("Prefer not to say")]
    assert len(small) == 2 and all(table[k]["Responses"] == "<5" for k in small)
    assert table["Mentees · Disability: Yes · Gender: Woman"]["Responses"] == "x"
    assert table["Mentees · Disability: No · Gender: Woman"]["Responses"] == "x"
    assert {table[k][GOOD] for k in table if k.count("·") == 2} == {"–"}


def test_the_threshold_is_the_stricter_of_reports_and_evaluation(scheme_a, followup):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    es.set_thresholds(scheme_a, k=15, k_text=20)
    table = _table(questionnaire_outcomes(scheme_a, Rules()))
    assert table["Mentees"]["Responses"] == "<15"


def test_no_identity_answer_or_participant_link_is_used(scheme_a, followup, bob_participant):
    from equimentor.identity.models import IdentityAnswer

    # bob's registration says he has a disability; the questionnaire answers say otherwise
    IdentityAnswer.objects.create(participant=bob_participant, dimension="disability", value="yes")
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, [], mentors=0))
    with CaptureQueriesContext(connection) as ctx:
        table = _table(questionnaire_outcomes(scheme_a, Rules(), FOLLOWUP, ["disability"]))
    assert (
        table["Mentees · Disability: No"]["Responses"] == "8"
        and "Mentees · Disability: Yes" not in table
    )
    sql = " ".join(q["sql"].lower() for q in ctx.captured_queries)
    for table_name in ("identity", "participant", "invitation", "consent", "auth", "user"):
        assert table_name not in sql, table_name
    assert len(ctx.captured_queries) <= 4


def test_dashboard_shows_the_section(client, alice, scheme_a, followup):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    client.force_login(alice)
    url = reverse("reports:dashboard", args=["scheme-a"])
    html = client.get(url + "?by1=ethnicity&oq=aimms-month-6&og1=disability").content.decode()
    assert "Questionnaire outcomes by group" in html
    assert 'id="oq"' in html and 'value="disability" selected' in html
    assert '<th scope="row">Mentees · Disability: No</th>' in html and "75%" in html
    assert '<input type="hidden" name="by1" value="ethnicity">' in html  # keeps the breakdown
    assert '<input type="hidden" name="og1" value="disability">' in html
    empty = client.get(reverse("reports:dashboard", args=["scheme-a"]) + "?oq=nope&og1=nope")
    assert empty.status_code == 200


def test_committee_with_an_institution_sees_scheme_wide_outcomes_said_so(
    client, scheme_a, followup, institution
):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    member = factories.UserFactory(email="cm@example.org")
    StaffRole.objects.create(user=member, scheme=scheme_a, role="committee").institutions.add(
        institution
    )
    client.force_login(member)
    html = client.get(reverse("reports:committee", args=["scheme-a"])).content.decode()
    assert "Questionnaire outcomes by group" in html
    assert "carry no institution" in html and "93%" in html


def test_exports_and_api_contain_the_outcomes(client, alice, scheme_a, followup):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    client.force_login(alice)
    q = "?og1=disability"
    body = client.get(reverse("reports:export", args=["scheme-a", "csv"]) + q).content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    start = next(i for i, r in enumerate(rows) if r and r[0].startswith("Questionnaire outcomes"))
    assert rows[start + 1][:2] == ["Group", "Responses"]
    assert ["Mentees · Disability: No", "8"] == rows[start + 4][:2]
    xlsx = client.get(reverse("reports:export", args=["scheme-a", "xlsx"]) + q).content
    book = load_workbook(io.BytesIO(xlsx))
    sheet = next(ws for ws in book.worksheets if "Questionnaire outcomes" in str(ws["A1"].value))
    assert any(r[0] == "Mentees · Disability: Yes" for r in sheet.iter_rows(values_only=True))
    pdf = client.get(reverse("reports:export", args=["scheme-a", "pdf"]) + q).content
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = "".join(text.split())  # cells wrap in the PDF
    assert "Questionnaireoutcomes" in flat and "Mentees·Disability:No" in flat
    data = client.get(reverse("reports:api", args=["scheme-a"]) + q).json()
    table = next(t for t in data["tables"] if t["title"].startswith("Questionnaire outcomes"))
    assert ["Mentees · Disability: No", "8"] == table["rows"][2][:2]


@pytest.mark.parametrize("who", ["charlie", "bob", "evaluator"])
def test_others_get_nothing(client, who, scheme_a, followup, charlie, bob):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    user = {"charlie": charlie, "bob": bob}.get(who) or factories.make_staff(scheme_a, "evaluator")
    client.force_login(user)
    for name, args in (
        ("reports:dashboard", []),
        ("reports:committee", []),
        ("reports:export", ["csv"]),
        ("reports:api", []),
    ):
        resp = client.get(reverse(name, args=["scheme-a", *args]) + "?oq=aimms-month-6")
        assert resp.status_code == 403, (who, name)
        assert b"Mentees" not in resp.content


def test_another_schemes_outcomes_never_appear(client, charlie, scheme_a, scheme_b, followup):
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    client.force_login(charlie)
    html = client.get(
        reverse("reports:dashboard", args=["scheme-b"]) + "?oq=aimms-month-6"
    ).content.decode()
    assert "No questionnaire responses yet." in html and "93%" not in html
    out = questionnaire_outcomes(scheme_b, Rules(), FOLLOWUP)
    assert out.report is None and out.questionnaires == []


def test_a_new_version_with_identity_items_is_grouped_with_the_old(scheme_a, alice, followup):
    old = {k: v for k, v in followup.definition.items()}
    old["items"] = [i for i in followup.items if not i.get("dimension")]
    v1 = Questionnaire.objects.create(
        scheme=scheme_a, code="legacy", version=1, wave="month_6", title="Legacy", definition=old
    )
    es.add(v1, es.outcome_rows([], [], none=es.OUTCOMES_NO, mentors=0))  # version 1 did not ask
    v2 = services.save_definition(scheme_a, {**followup.definition, "code": "legacy"}, actor=alice)
    assert v2.version == 2
    es.add(v2, es.outcome_rows([], es.OUTCOMES_YES, mentors=0))
    out = questionnaire_outcomes(scheme_a, Rules(), "legacy", ["disability"])
    table = _table(out)
    assert table["Mentees"]["Responses"] == "14"
    assert table["Mentees · Disability: Not answered"]["Responses"] == "8"
    assert table["Mentees · Disability: Yes"]["Responses"] == "6"


def test_outcome_queries_do_not_grow_with_responses_or_groups(client, alice, scheme_a, followup):
    client.force_login(alice)
    url = reverse("reports:dashboard", args=["scheme-a"])

    def count(query):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url + query).status_code == 200
        return len(ctx)

    es.add(followup, es.outcome_rows(es.OUTCOMES_NO[:2], es.OUTCOMES_YES[:2], mentors=1))
    small = [
        count(q) for q in ("?og1=disability", "?og1=disability&og2=gender", "?og1=ethnic_group")
    ]
    es.add(followup, es.outcome_rows(es.OUTCOMES_NO, es.OUTCOMES_YES))
    large = [
        count(q) for q in ("?og1=disability", "?og1=disability&og2=gender", "?og1=ethnic_group")
    ]
    assert small == large and len(set(small)) == 1
