"""Evaluation through the API (#20): the results page's CSV / XLSX export, withheld exactly as
the page withholds, for the page's readers; a coordinator's token holds, resumes and sends a
questionnaire now through the page's services; nobody else reads or changes anything."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.urls import reverse
from openpyxl import load_workbook

from equimentor.core.models import AuditEvent
from equimentor.evaluation.models import Invitation, Questionnaire
from tests import evaluation_setup as es
from tests.api_setup import bearer, token
from tests.matching_setup import people

A = "scheme-a"
FOLLOWUP = "aimms-month-6"
BASELINE = "aimms-baseline"
READ, WRITE = "evaluation:read", "evaluation:write"


@pytest.fixture
def followup(scheme_a, alice):
    qs = es.install(scheme_a, alice)
    es.add(
        qs[FOLLOWUP],
        [
            (role, {**values, "still_meeting": "yes" if i % 3 else "no"})
            for i, (role, values) in enumerate(es.aimms_followup_rows())
        ],
    )
    return qs[FOLLOWUP]


def _results(fmt: str, code: str = FOLLOWUP, slug: str = A) -> str:
    return reverse("api:questionnaire_results", args=[slug, code, fmt])


def _page_export(client, user, fmt: str, query: str = "") -> bytes:
    client.force_login(user)
    page = client.get(f"/manage/{A}/evaluation/results/{FOLLOWUP}/export/{fmt}/{query}")
    client.logout()
    assert page.status_code == 200
    return page.content


def test_the_results_export_is_the_pages(client, followup, alice, scheme_a):
    raw = token(alice, READ)
    for query in ("", "?filter=still_meeting&value=no"):
        response = client.get(_results("csv") + query, **bearer(raw))
        assert response.status_code == 200 and response["Content-Type"] == "text/csv"
        assert response.content == _page_export(client, alice, "csv", query)
        assert "attachment;" in response["Content-Disposition"]
    # withheld figures are withheld: the filtered view has "–" cells, as the page's
    assert (
        "–"
        in client.get(
            _results("csv") + "?filter=still_meeting&value=no", **bearer(raw)
        ).content.decode()
    )
    xlsx = client.get(_results("xlsx"), HTTP_ACCEPT="application/json", **bearer(raw))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    page = load_workbook(io.BytesIO(_page_export(client, alice, "xlsx"))).active
    assert [r for r in sheet.iter_rows(values_only=True)] == [
        r for r in page.iter_rows(values_only=True)
    ]
    # asking for the file's own type works too
    assert client.get(_results("csv"), HTTP_ACCEPT="text/csv", **bearer(raw)).status_code == 200
    # each export is audited, naming the token
    events = AuditEvent.objects.filter(action="evaluation.exported", via_token__isnull=False)
    assert events.count() == 5


def test_the_pages_readers_read_it_and_nobody_else(client, followup, alice, charlie, scheme_a, bob):
    evaluator = es.staff(scheme_a, "evaluator", "eve@example.org")
    committee = es.staff(scheme_a, "committee", "cmt@example.org")
    for user in (alice, evaluator, committee):
        assert client.get(_results("csv"), **bearer(token(user, READ))).status_code == 200
    exported = AuditEvent.objects.filter(action="evaluation.exported").count()
    for raw in (token(bob, READ), token(charlie, READ), token(alice, WRITE)):
        assert client.get(_results("csv"), **bearer(raw)).status_code == 403
        assert client.get(reverse("api:questionnaires", args=[A]), **bearer(raw)).status_code == 403
    # under her own scheme, another scheme's questionnaire is not found
    assert (
        client.get(_results("csv", slug="scheme-b"), **bearer(token(charlie, READ))).status_code
        == 404
    )
    assert AuditEvent.objects.filter(action="evaluation.exported").count() == exported


def test_bad_input_is_a_400_or_404_that_exports_nothing(client, followup, alice):
    raw = token(alice, READ)
    bad = client.get(_results("csv") + "?filter=no_such_item&value=x", **bearer(raw))
    assert bad.status_code == 400 and "filter" in bad.json()["errors"]
    assert client.get(_results("pdf"), **bearer(raw)).status_code == 404
    assert (
        client.get(_results("csv", code="no-such-questionnaire"), **bearer(raw)).status_code == 404
    )
    assert not AuditEvent.objects.filter(action="evaluation.exported").exists()


def test_the_questionnaires_are_listed(client, followup, alice):
    data = client.get(reverse("api:questionnaires", args=[A]), **bearer(token(alice, READ))).json()
    codes = {q["code"]: q for q in data}
    assert FOLLOWUP in codes and codes[BASELINE]["is_active"] is True


def _matched(scheme, coordinator, capture, n=2):
    with capture(execute=True):
        mentors, mentees = people(scheme, coordinator, mentors=n, mentees=n)
        es.matched(scheme, coordinator, list(zip(mentors, mentees, strict=True)))
    return mentors, mentees


def test_a_coordinators_token_holds_resumes_and_sends_now(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)
    mentors, mentees = _matched(scheme_a, alice, capture)
    raw = token(alice, READ, WRITE)
    hold = reverse("api:hold_questionnaire", args=[A, BASELINE])
    resume = reverse("api:resume_questionnaire", args=[A, BASELINE])
    send = reverse("api:send_questionnaire_now", args=[A, BASELINE])
    held = client.post(hold, **bearer(raw))
    assert held.status_code == 200
    assert held.json() == {
        "code": BASELINE,
        "title": Questionnaire.objects.get(scheme=scheme_a, code=BASELINE).title,
        "is_active": False,
        "changed": True,
    }
    assert client.post(hold, **bearer(raw)).json()["changed"] is False
    mail.outbox.clear()
    with capture(execute=True):
        sent = client.post(send, **bearer(raw))
    assert sent.status_code == 202 and sent.json() == {"code": BASELINE, "due": 4}
    assert Invitation.objects.filter(code=BASELINE).count() == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.user.email for p in [*mentors, *mentees]
    )
    # pressed again: nobody is due, nothing is sent twice
    with capture(execute=True):
        again = client.post(send, **bearer(raw))
    assert again.status_code == 200 and again.json()["due"] == 0
    assert Invitation.objects.filter(code=BASELINE).count() == 4
    resumed = client.post(resume, **bearer(raw)).json()
    assert resumed["is_active"] is True and resumed["changed"] is True
    # every change audited through the services, naming the token (the send from its task too)
    for action in ("held", "resumed", "sent_now"):
        event = AuditEvent.objects.get(action=f"evaluation.questionnaire.{action}")
        assert event.via_token is not None and event.actor == alice


def test_nobody_else_holds_or_sends(
    client, scheme_a, alice, charlie, bob, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        es.install(scheme_a, alice)
    _matched(scheme_a, alice, capture)
    evaluator = es.staff(scheme_a, "evaluator", "eve@example.org")
    names = ("hold_questionnaire", "resume_questionnaire", "send_questionnaire_now")
    refused = [
        token(bob, WRITE),
        token(charlie, WRITE),
        token(evaluator, WRITE),
        token(alice, READ),
    ]
    with capture(execute=True):
        for raw in refused:
            for name in names:
                assert (
                    client.post(
                        reverse(f"api:{name}", args=[A, BASELINE]), **bearer(raw)
                    ).status_code
                    == 403
                )
        for name in names:  # another scheme's questionnaire, under her own scheme
            url = reverse(f"api:{name}", args=["scheme-b", BASELINE])
            assert client.post(url, **bearer(refused[1])).status_code == 404
    assert Questionnaire.objects.get(scheme=scheme_a, code=BASELINE).is_active
    assert not Invitation.objects.exists()
    changes = ("held", "resumed", "sent_now")
    assert not AuditEvent.objects.filter(
        action__in=[f"evaluation.questionnaire.{c}" for c in changes]
    ).exists()
