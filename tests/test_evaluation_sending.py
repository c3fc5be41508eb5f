"""Sending: baseline on a first accepted match, follow-up at six months, reminders, closing date,
never to anyone without evaluation consent; run by ``equimentor tick``."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from equimentor.enrolment.consents import withdraw_consent
from equimentor.evaluation import definitions
from equimentor.evaluation.models import Invitation
from tests import evaluation_setup as es
from tests.relationships_setup import pair


def _tick(capture):
    out = StringIO()
    with capture(execute=True):
        call_command("tick", stdout=out)
    return out.getvalue()


def test_the_shipped_templates_cover_the_aimms_questions():
    shipped = definitions.shipped()
    base, follow = shipped["aimms-baseline"], shipped["aimms-month-6"]
    want = next(i for i in base["items"] if i["code"] == "want")
    assert len(want["options"]) == 8 and want["other"]
    assert {o["code"] for o in want["options"] if o.get("roles") == ["mentee"]} == {
        "practical_advice",
        "general_support",
    }
    codes = {i["code"] for i in follow["items"]}
    assert {
        "stars",
        "meetings",
        "still_meeting",
        "good_relationship",
        "support_helpful",
        "felt_supported",
        "expectations",
        "dev_personal",
        "dev_professional",
        "similar_useful",
        "confidence_career",
        "recommend",
        "improve",
        "rewarding",
        "challenging",
        "job_title",
        "ethnicity",
        "age_band",
    } <= codes
    personal = next(i for i in follow["items"] if i["code"] == "dev_personal")
    assert len(personal["options"]) == 15  # Table 3, without "Other"
    types = {i["type"] for d in shipped.values() for i in d["items"]}
    assert types == definitions.TYPES


def test_shipped_option_labels_are_text_and_unquoted_yes_no_is_refused():
    """YAML read ``label: Yes, as a mentee`` as true: the page showed "True / True / False"."""
    for code, definition in definitions.shipped().items():
        for item in definition["items"]:
            for option in item.get("options", []):
                assert isinstance(option["label"], str), (code, item["code"], option)
    prior = next(
        i
        for i in definitions.shipped()["aimms-baseline"]["items"]
        if i["code"] == "prior_mentoring"
    )
    assert [o["label"] for o in prior["options"]] == ["Yes, as a mentee", "Yes, as a mentor", "No"]
    try:
        definitions.parse(
            "code: own\ntitle: Own\nwave: month_6\nitems:\n"
            "- code: x\n  type: single\n  text: X?\n  options:\n"
            "  - {code: y, label: Yes, as a mentee}\n  - {code: n, label: No}\n"
        )
    except definitions.DefinitionError as exc:
        assert any("label in quotes" in e for e in exc.errors), exc.errors
    else:
        raise AssertionError("an unquoted Yes/No label was accepted")


def test_baseline_on_acceptance_followup_at_six_months_reminders_and_consent(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentors=2, mentees=2)
        es.install(scheme_a, alice)
        withdraw_consent(mentees[1], "evaluation", actor=mentees[1].user)
        es.matched(scheme_a, alice, [(mentors[0], mentees[0]), (mentors[1], mentees[1])])
    mail.outbox.clear()
    out = _tick(django_capture_on_commit_callbacks)
    assert "evaluation_baseline: 3" in out
    invited = set(Invitation.objects.values_list("participant_id", "role"))
    assert invited == {
        (mentors[0].pk, "mentor"),
        (mentors[1].pk, "mentor"),
        (mentees[0].pk, "mentee"),
    }
    assert not any(m.to == [mentees[1].user.email] for m in mail.outbox)  # never asked
    assert "nothing due" in _tick(django_capture_on_commit_callbacks) or "evaluation" not in _tick(
        django_capture_on_commit_callbacks
    )
    # one mentor answers; reminders go to the others after a week, never past the closing date
    inv = Invitation.objects.get(participant=mentors[0])
    inv.has_responded = True
    inv.save()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        mail.outbox.clear()
        out = _tick(django_capture_on_commit_callbacks)
    assert "evaluation_reminders: 2" in out
    assert all("Reminder" in m.subject for m in mail.outbox if "questionnaire" in m.subject)
    with time_machine.travel(timezone.now() + timedelta(days=40)):
        out = _tick(django_capture_on_commit_callbacks)
    assert "evaluation_reminders" not in out
    with time_machine.travel(timezone.now() + timedelta(days=190)):
        out = _tick(django_capture_on_commit_callbacks)
    assert "evaluation_month_6: 3" in out
    assert Invitation.objects.filter(code="aimms-month-6").count() == 3


def test_participants_see_and_answer_only_their_own(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        es.install(scheme_a, alice)
        es.matched(scheme_a, alice, [(mentors[0], mentees[0])])
    _tick(django_capture_on_commit_callbacks)
    mine = Invitation.objects.get(participant=mentees[0])
    theirs = Invitation.objects.get(participant=mentors[0])
    client.force_login(mentees[0].user)
    page = client.get(f"/me/schemes/{scheme_a.slug}/")
    assert "Evaluation questionnaires" in page.content.decode()
    assert client.get(f"/me/schemes/{scheme_a.slug}/questionnaires/{theirs.pk}/").status_code == 404
    form = client.get(f"/me/schemes/{scheme_a.slug}/questionnaires/{mine.pk}/")
    assert "To receive practical advice" in form.content.decode()
    assert "To increase my understanding" not in form.content.decode()  # mentors only
    assert "Yes, as a mentee" in form.content.decode()
    both = client.post(
        f"/me/schemes/{scheme_a.slug}/questionnaires/{mine.pk}/",
        {"prior_mentoring": ["as_mentee", "none"], "want.other": "Keep this text"},
    )
    assert both.status_code == 200
    assert "“No” cannot be combined with other answers" in both.content.decode()
    assert "Keep this text" in both.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # stored by a task after commit
        done = client.post(
            f"/me/schemes/{scheme_a.slug}/questionnaires/{mine.pk}/",
            {
                "want": ["networks", "cv"],
                "want.other": "How to navigate my career",
                "challenged": "yes",
                "challenged_why": "I cannot be what I don't see",
                "age_band": "a30_39",
            },
        )
    assert done.status_code == 302
    mine.refresh_from_db()
    assert mine.has_responded
    from equimentor.evaluation.models import Answer

    want = Answer.objects.get(item="want")
    assert want.value == ["networks", "cv", "other"] and want.text == "How to navigate my career"
    again = client.post(f"/me/schemes/{scheme_a.slug}/questionnaires/{mine.pk}/", {"want": ["cv"]})
    assert again.status_code == 200 and Answer.objects.filter(item="want").count() == 1


def test_a_tick_with_nothing_due_reads_a_fixed_number_of_queries(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    """Who already has an invitation is read once, not once per person and questionnaire
    (twelve people here; before, each one added queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from equimentor.evaluation import scheduler

    capture = django_capture_on_commit_callbacks
    with capture(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentors=6, mentees=6)
        es.install(scheme_a, alice)
        es.matched(scheme_a, alice, list(zip(mentors, mentees, strict=True)))
    with capture(execute=True):
        assert scheduler.run() == {"evaluation_baseline": 12}
    with CaptureQueriesContext(connection) as ctx:
        assert scheduler.run() == {}  # nothing new is due
    assert len(ctx.captured_queries) <= 8  # a few per scheme, none per person
