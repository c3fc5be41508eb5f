"""A relationship's lifecycle through the API (#20): members decide after the trial, save and
confirm the agreement, pause, resume, extend and close; coordinators pause, resume and close;
through the pages' services, audited with the token. Others get 403 or nothing (404); bad input
is a 400 naming the field and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.relationships import services
from equimentor.relationships.models import Relationship
from tests.api_write_setup import bearer, token
from tests.relationships_setup import accepted, agree, hold_first_meeting, member, pair

S = Relationship.State
WRITE = ("relationships:read", "relationships:write")


@pytest.fixture
def rel_setup(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentees=2)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]), member(rel, mentees[0]), mentees[1]


def _me(name, rel, slug="scheme-a"):
    return reverse(f"api:relationship_{name}", args=[slug, rel.pk])


def _coord(name, rel, slug="scheme-a"):
    return reverse(f"api:scheme_relationship_{name}", args=[slug, rel.pk])


def _post(client, url, raw, body=None, **headers):
    return client.post(url, body or {}, content_type="application/json", **bearer(raw), **headers)


def _agreement(rel):
    return {k: v or "x" for k, v in services.default_agreement(rel).items()}


def test_trial_and_agreement_make_it_active(client, rel_setup):
    rel, mentor, mentee, _ = rel_setup
    mentor_raw, mentee_raw = (
        token(mentor.participant.user, *WRITE),
        token(mentee.participant.user, *WRITE),
    )
    early = _post(client, _me("trial", rel), mentee_raw, {"decision": "continue"})
    assert early.status_code == 409 and "first meeting" in early.json()["detail"]
    hold_first_meeting(rel, mentor)
    saved = _post(client, _me("agreement", rel), mentor_raw, _agreement(rel))
    assert saved.status_code == 201 and saved.json()["number"] == 1
    version = saved.json()["id"]
    listed = client.get(_me("agreement", rel), **bearer(mentee_raw)).json()["results"]
    assert [v["id"] for v in listed] == [version]
    for raw in (mentor_raw, mentee_raw):
        confirmed = _post(client, _me("agreement_confirm", rel), raw, {"version": version})
        assert confirmed.status_code == 200
        assert _post(client, _me("trial", rel), raw, {"decision": "continue"}).status_code == 200
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE
    assert sorted(confirmed.json()["confirmed_by"]) == sorted(
        [mentor.participant.user.full_name, mentee.participant.user.full_name]
    )
    assert (
        AuditEvent.objects.filter(
            action="relationships.trial.decided", via_token__isnull=False
        ).count()
        == 2
    )
    again = _post(client, _me("trial", rel), mentee_raw, {"decision": "continue"})
    assert again.status_code == 409


def test_stepping_away_after_the_trial_closes_without_fault(client, rel_setup):
    rel, mentor, mentee, _ = rel_setup
    hold_first_meeting(rel, mentor)
    raw = token(mentee.participant.user, *WRITE)
    response = _post(client, _me("trial", rel), raw, {"decision": "step_away", "never_again": True})
    assert response.status_code == 200 and response.json()["still_member"] is False
    rel.refresh_from_db()
    assert rel.state == S.CLOSED and rel.close_reason == "no_fault"


def _active(rel, mentor, mentee):
    hold_first_meeting(rel, mentor)
    agree(rel, mentor, mentee)
    for m in (mentor, mentee):
        services.trial_decision(rel, m, go_on=True, actor=None)
    rel.refresh_from_db()
    return rel


def test_members_pause_resume_extend_and_close(
    client, rel_setup, django_capture_on_commit_callbacks
):
    rel, mentor, mentee, _ = rel_setup
    rel = _active(rel, mentor, mentee)
    mentor_raw, mentee_raw = (
        token(mentor.participant.user, *WRITE),
        token(mentee.participant.user, *WRITE),
    )
    with django_capture_on_commit_callbacks(execute=True):
        paused = _post(client, _me("pause", rel), mentee_raw, {"reason": "workload"})
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert mail.outbox  # everyone is told, as from the page
    assert _post(client, _me("pause", rel), mentee_raw, {"reason": "workload"}).status_code == 409
    assert _post(client, _me("resume", rel), mentor_raw).json()["state"] == "active"
    with time_machine.travel(rel.end_date - timedelta(days=10)):
        services.mark_ending_due(rel)
        # tokens made now: those made before expired by the end date
        mentor_raw, mentee_raw = (
            token(mentor.participant.user, *WRITE),
            token(mentee.participant.user, *WRITE),
        )
        new = (rel.end_date + timedelta(days=60)).isoformat()
        for raw in (mentee_raw, mentor_raw):
            extended = _post(client, _me("extend", rel), raw, {"new_end_date": new})
            assert extended.status_code == 200
        assert extended.json()["state"] == "extended" and extended.json()["end_date"] == new
        closed = _post(client, _me("close", rel), mentee_raw, {"reason": "goals_met"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert AuditEvent.objects.get(action="relationships.relationship.closed").via_token


def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(client, rel_setup):
    rel, mentor, mentee, _ = rel_setup
    rel = _active(rel, mentor, mentee)
    raw = token(mentee.participant.user, *WRITE)
    coordinator_raw = token(rel.scheme.staff_roles.get().user, *WRITE)
    cases = [
        (_me("trial", rel), raw, {"decision": "perhaps"}, "decision"),
        (_me("pause", rel), raw, {"reason": "bored"}, "reason"),
        (_me("extend", rel), raw, {"new_end_date": "soon"}, "new_end_date"),
        (_me("close", rel), raw, {"reason": "safeguarding"}, "reason"),  # not a member's reason
        (_me("agreement", rel), raw, {**_agreement(rel), "topics": ""}, "topics"),
        (_me("agreement_confirm", rel), raw, {"version": 999999}, "version"),
        (_coord("close", rel), coordinator_raw, {}, "reason"),
        (_coord("pause", rel), coordinator_raw, {"reason": ""}, "reason"),
    ]
    before = AuditEvent.objects.count()
    for url, who, body, field in cases:
        response = _post(client, url, who, body)
        assert response.status_code == 400, url
        assert field in str(response.json())
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE and rel.agreement_versions.count() == 1
    assert AuditEvent.objects.count() == before


def test_a_coordinators_token_pauses_resumes_and_closes(client, alice, scheme_a, rel_setup):
    rel, mentor, mentee, _ = rel_setup
    rel = _active(rel, mentor, mentee)
    raw = token(alice, *WRITE, scheme=scheme_a)  # the scheme's service token
    paused = _post(client, _coord("pause", rel), raw, {"reason": "other"})
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    assert _post(client, _coord("resume", rel), raw).json()["state"] == "active"
    closed = _post(client, _coord("close", rel), raw, {"reason": "lapsed"})
    assert closed.status_code == 200 and closed.json()["close_reason"] == "lapsed"
    assert _post(client, _coord("close", rel), raw, {"reason": "lapsed"}).status_code == 409
    assert AuditEvent.objects.get(action="relationships.relationship.paused").actor == alice


def test_who_may_not_change_a_relationship(client, alice, charlie, scheme_b, rel_setup):
    rel, mentor, mentee, outsider = rel_setup
    rel = _active(rel, mentor, mentee)
    body = {"reason": "other"}
    # coordinators' endpoints: a member, another scheme's coordinator (personal and service
    # token) and a token lacking the scope are refused
    for raw in (
        token(mentee.participant.user, *WRITE),
        token(charlie, *WRITE),
        token(charlie, *WRITE, scheme=scheme_b),
        token(alice, "relationships:read"),
    ):
        assert _post(client, _coord("pause", rel), raw, body).status_code == 403
    # another scheme's relationship through one's own scheme's address: nothing
    assert (
        _post(client, _coord("pause", rel, "scheme-b"), token(charlie, *WRITE), body).status_code
        == 404
    )
    # members' endpoints: someone of the scheme who is not in it gets nothing; the coordinator
    # (not a member) neither; a token lacking the scope and a service token are refused
    for name in ("pause", "close", "trial", "extend", "resume", "agreement"):
        assert _post(client, _me(name, rel), token(outsider.user, *WRITE), body).status_code == 404
        assert _post(client, _me(name, rel), token(alice, *WRITE), body).status_code == 404
    assert (
        _post(
            client, _me("pause", rel), token(mentee.participant.user, "relationships:read"), body
        ).status_code
        == 403
    )
    assert (
        _post(
            client, _me("pause", rel, "scheme-b"), token(mentee.participant.user, *WRITE), body
        ).status_code
        == 404
    )
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE


def test_the_agreement_list_costs_the_same_for_one_version_as_for_four(client, rel_setup):
    rel, mentor, mentee, _ = rel_setup
    hold_first_meeting(rel, mentor)
    raw = token(mentee.participant.user, *WRITE)
    url = _me("agreement", rel)

    def queries():
        client.get(url, **bearer(raw))  # the token's first use is noted once: not the list's
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **bearer(raw))
        assert response.status_code == 200
        return len(captured.captured_queries), len(response.json()["results"])

    agree(rel, mentor, mentee)
    few, n = queries()
    assert n == 1
    for i in range(3):
        version = services.save_agreement(
            rel, mentor, {**_agreement(rel), "topics": f"Topic {i}"}, actor=None
        )
        for m in (mentor, mentee):
            services.confirm_agreement(rel, m, version, actor=None)
    assert queries() == (few, 4)


def test_a_pause_sent_again_with_its_key_pauses_and_emails_once(
    client, alice, rel_setup, django_capture_on_commit_callbacks
):
    rel, mentor, mentee, _ = rel_setup
    rel = _active(rel, mentor, mentee)
    mail.outbox.clear()
    raw = token(alice, *WRITE)
    answers = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(
                _post(
                    client,
                    _coord("pause", rel),
                    raw,
                    {"reason": "other"},
                    HTTP_IDEMPOTENCY_KEY="p1",
                )
            )
    assert [a.status_code for a in answers] == [200, 200]  # not a 409 "already paused"
    assert answers[1]["Idempotent-Replayed"] == "true"
    sent = len(mail.outbox)
    assert sent > 0
    assert AuditEvent.objects.filter(action="relationships.relationship.paused").count() == 1
    # without the key, a repeat is refused by the service
    assert _post(client, _coord("pause", rel), raw, {"reason": "other"}).status_code == 409
    assert len(mail.outbox) == sent
