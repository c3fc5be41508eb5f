"""``equimentor tick`` runs the relationships job: due sends happen once, overlapping runs never
both work."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from equimentor.core import jobs
from equimentor.core.models import SentNotice
from equimentor.matching.models import Proposal
from equimentor.relationships import services
from equimentor.relationships.models import CheckIn, Flag, Relationship
from tests.relationships_setup import accepted, agree, hold_first_meeting, member, pair


@pytest.fixture
def rel_pair(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]), member(rel, mentees[0])


def _tick(capture):
    out = StringIO()
    with capture(execute=True):
        call_command("tick", stdout=out)
    return out.getvalue()


def test_check_ins_and_nudges_are_sent_once(rel_pair, django_capture_on_commit_callbacks):
    rel, mentor, mentee = rel_pair
    with time_machine.travel(timezone.now() + timedelta(days=45)):
        first = _tick(django_capture_on_commit_callbacks)
        sent = len(mail.outbox)
        second = _tick(django_capture_on_commit_callbacks)
    assert "check_ins: 2" in first and "nudges: 2" in first
    assert sent == 4 and len(mail.outbox) == 4
    assert "nothing due" in second
    assert CheckIn.objects.count() == 2
    # the next check-in two months later
    with time_machine.travel(timezone.now() + timedelta(days=95)):
        _tick(django_capture_on_commit_callbacks)
    assert sorted(CheckIn.objects.values_list("number", flat=True)) == [1, 1, 2, 2]
    # a long silence flags the relationship for the coordinator, once
    assert Flag.objects.filter(kind="meetings_lapsed", relationship=rel).count() == 1


def test_end_date_prompt_then_closed_at_the_end(rel_pair, django_capture_on_commit_callbacks):
    rel, mentor, mentee = rel_pair
    hold_first_meeting(rel, mentor)
    agree(rel, mentor, mentee)
    services.trial_decision(rel, mentor, go_on=True, actor=None)
    services.trial_decision(rel, mentee, go_on=True, actor=None)
    rel.refresh_from_db()
    with time_machine.travel(rel.end_date - timedelta(days=13)):
        mail.outbox.clear()
        _tick(django_capture_on_commit_callbacks)
        _tick(django_capture_on_commit_callbacks)
    rel.refresh_from_db()
    assert rel.state == Relationship.State.ENDING_DUE
    prompts = [m for m in mail.outbox if "extend or close" in m.subject]
    assert len(prompts) == 2
    with time_machine.travel(rel.end_date + timedelta(days=1)):
        _tick(django_capture_on_commit_callbacks)
    rel.refresh_from_db()
    assert rel.state == Relationship.State.CLOSED and rel.close_reason == "completed"


def test_a_mentor_who_lets_a_proposal_lapse_is_flagged(
    scheme_a, alice, django_capture_on_commit_callbacks
):
    mentors, mentees = pair(scheme_a, alice)
    proposal = Proposal.objects.create(
        scheme=scheme_a,
        mentee=mentees[0],
        mentor=mentors[0],
        via="choice",
        proposed_at=timezone.now() - timedelta(days=15),
    )
    _tick(django_capture_on_commit_callbacks)
    _tick(django_capture_on_commit_callbacks)
    flag = Flag.objects.get(kind="proposal_lapsed")
    assert flag.proposal == proposal and flag.participant == mentors[0]


def test_the_lock_is_claimed_by_one_run_only(db):
    token = jobs.claim_lock("job:relationships.reminders")
    assert token is not None
    assert jobs.claim_lock("job:relationships.reminders") is None
    out = StringIO()
    call_command("tick", stdout=out)
    assert "relationships.reminders is already running; skipped." in out.getvalue()
    jobs.release_lock("job:relationships.reminders", token)
    again = jobs.claim_lock("job:relationships.reminders")
    assert again is not None
    jobs.release_lock("job:relationships.reminders", again)
    # a lock left by a crashed run expires
    stale = jobs.claim_lock("job:relationships.reminders", ttl=timedelta(seconds=-1))
    assert stale is not None and jobs.claim_lock("job:relationships.reminders") is not None


def test_sent_notice_keys_are_unique(db):
    assert jobs.once("k") is True
    assert jobs.once("k") is False
    assert SentNotice.objects.count() == 1
