"""Every valid and invalid transition of a mentoring relationship, through the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from equimentor.core.models import AuditEvent
from equimentor.matching.adapter import eligible_mentees, forbidden_pairs
from equimentor.relationships import services
from equimentor.relationships.models import Relationship
from equimentor.relationships.services import RelationshipError, add_months
from tests.relationships_setup import (
    accepted,
    agree,
    hold_first_meeting,
    member,
    pair,
    plan,
)

S = Relationship.State


@pytest.fixture
def rel_setup(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    return rel, member(rel, mentors[0]), member(rel, mentees[0])


def test_an_accepted_proposal_starts_a_one_to_one_relationship(scheme_a, rel_setup):
    rel, mentor, mentee = rel_setup
    assert rel.kind == "one_to_one" and rel.state == S.ACCEPTED
    assert rel.end_date == add_months(rel.start_date, scheme_a.relationship_months)
    assert {mentor.side, mentee.side} == {"mentor", "mentee"}
    assert AuditEvent.objects.filter(action="relationships.relationship.started").count() == 1
    # the mentee is no longer waiting for matching
    assert mentee.participant not in eligible_mentees(scheme_a)


def test_trial_then_active_when_both_continue_and_confirm(rel_setup):
    rel, mentor, mentee = rel_setup
    with pytest.raises(RelationshipError, match="first meeting has been logged"):
        services.trial_decision(rel, mentee, go_on=True, actor=None)
    hold_first_meeting(rel, mentor)
    rel.refresh_from_db()
    assert rel.state == S.TRIAL
    agree(rel, mentor, mentee)
    services.trial_decision(rel, mentor, go_on=True, actor=None)
    rel.refresh_from_db()
    assert rel.state == S.TRIAL  # the mentee has not decided yet
    with pytest.raises(RelationshipError, match="already given"):
        services.trial_decision(rel, mentor, go_on=True, actor=None)
    services.trial_decision(rel, mentee, go_on=True, actor=None)
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE and rel.activated_at is not None
    with pytest.raises(RelationshipError, match="trial is over"):
        services.trial_decision(rel, mentee, go_on=True, actor=None)


def test_confirmation_applies_to_one_version(rel_setup):
    rel, mentor, mentee = rel_setup
    hold_first_meeting(rel, mentor)
    v1 = agree(rel, mentor)
    data = {**services.default_agreement(rel), "frequency": "fortnightly"}
    v2 = services.save_agreement(rel, mentee, data, actor=None)
    assert (v1.number, v2.number) == (1, 2)
    with pytest.raises(RelationshipError, match="Version 2 has been saved since"):
        services.confirm_agreement(rel, mentee, v1, actor=None)
    with pytest.raises(RelationshipError, match="Nothing has changed"):
        services.save_agreement(rel, mentee, data, actor=None)
    services.trial_decision(rel, mentor, go_on=True, actor=None)
    services.trial_decision(rel, mentee, go_on=True, actor=None)
    services.confirm_agreement(rel, mentee, v2, actor=None)
    rel.refresh_from_db()
    assert rel.state == S.TRIAL  # the mentor confirmed v1 only
    services.confirm_agreement(rel, mentor, v2, actor=None)
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE
    assert rel.agreement_versions.count() == 2  # every version kept


def test_stepping_away_is_no_fault_and_the_pair_is_kept_apart(
    scheme_a, rel_setup, django_capture_on_commit_callbacks
):
    rel, mentor, mentee = rel_setup
    hold_first_meeting(rel, mentor)
    with django_capture_on_commit_callbacks(execute=True):
        services.trial_decision(rel, mentor, go_on=False, actor=mentor.participant.user)
    rel.refresh_from_db()
    assert rel.state == S.CLOSED and rel.close_reason == "no_fault"
    # the mentee goes back into the next matching run, and the pair is never proposed again
    assert mentee.participant in eligible_mentees(scheme_a)
    assert (mentee.participant_id, mentor.participant_id) in forbidden_pairs(scheme_a)
    # only the other person is told, and told nothing about why or who
    assert [m.to for m in mail.outbox] == [[mentee.participant.user.email]]
    body = mail.outbox[0].body + mail.outbox[0].subject
    assert "will not continue" in body
    for word in ("stepped away", "step away", "reason", "because", "declined"):
        assert word not in body.lower()
    events = AuditEvent.objects.filter(object_type="relationships.membership")
    assert events.get().data == {"relationship_id": rel.pk, "decision": "step_away"}


def test_pause_moves_the_end_date_by_the_length_of_the_pause(rel_setup):
    rel, mentor, mentee = rel_setup
    with pytest.raises(RelationshipError, match="Only an active relationship can be paused"):
        services.pause(rel, reason="sick_leave", actor=None)
    with pytest.raises(RelationshipError, match="Only a paused relationship"):
        services.resume(rel, actor=None)
    hold_first_meeting(rel, mentor)
    agree(rel, mentor, mentee)
    services.trial_decision(rel, mentor, go_on=True, actor=None)
    services.trial_decision(rel, mentee, go_on=True, actor=None)
    rel.refresh_from_db()
    end = rel.end_date
    services.pause(rel, reason="parental_leave", actor=None, member=mentee)
    rel.refresh_from_db()
    assert rel.state == S.PAUSED
    with pytest.raises(RelationshipError, match="paused"):
        services.schedule_meeting(rel, mentor, plan("2030-01-01T10:00"), actor=None)
    with time_machine.travel(services.today() + timedelta(days=40)):
        services.resume(rel, actor=None, member=mentee)
    rel.refresh_from_db()
    assert rel.state == S.ACTIVE
    assert rel.end_date == end + timedelta(days=40)
    assert rel.paused_days == 40


def _active(rel, mentor, mentee):
    hold_first_meeting(rel, mentor)
    agree(rel, mentor, mentee)
    services.trial_decision(rel, mentor, go_on=True, actor=None)
    services.trial_decision(rel, mentee, go_on=True, actor=None)
    rel.refresh_from_db()
    return rel


def test_ending_due_then_extended_only_when_both_agree_the_same_date(rel_setup):
    rel, mentor, mentee = rel_setup
    rel = _active(rel, mentor, mentee)
    with pytest.raises(RelationshipError, match="two weeks before"):
        services.end_choice(rel, mentee, extend=True, new_end_date=rel.end_date, actor=None)
    with pytest.raises(RelationshipError, match="not near"):
        services.mark_ending_due(rel)
    with time_machine.travel(rel.end_date - timedelta(days=10)):
        services.mark_ending_due(rel)
    rel.refresh_from_db()
    assert rel.state == S.ENDING_DUE
    new = rel.end_date + timedelta(days=90)
    with pytest.raises(RelationshipError, match="after the current one"):
        services.end_choice(rel, mentee, extend=True, new_end_date=rel.end_date, actor=None)
    services.end_choice(rel, mentee, extend=True, new_end_date=new, actor=None)
    services.end_choice(rel, mentor, extend=True, new_end_date=new + timedelta(days=1), actor=None)
    rel.refresh_from_db()
    assert rel.state == S.ENDING_DUE  # different dates: the mentee must agree again
    services.end_choice(rel, mentee, extend=True, new_end_date=new + timedelta(days=1), actor=None)
    rel.refresh_from_db()
    assert rel.state == S.EXTENDED and rel.end_date == new + timedelta(days=1)
    assert rel.extended_count == 1


def test_closing_at_the_end_and_invalid_closes(rel_setup, django_capture_on_commit_callbacks):
    rel, mentor, mentee = rel_setup
    rel = _active(rel, mentor, mentee)
    with time_machine.travel(rel.end_date - timedelta(days=10)):
        services.mark_ending_due(rel)
    with pytest.raises(RelationshipError, match="Choose why"):
        services.end_choice(rel, mentor, extend=False, reason="safeguarding", actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.end_choice(rel, mentor, extend=False, reason="goals_met", actor=None)
    rel.refresh_from_db()
    assert rel.state == S.CLOSED and rel.close_reason == "goals_met"
    assert len(mail.outbox) == 2
    assert all("goals" not in m.body.lower() for m in mail.outbox)
    with pytest.raises(RelationshipError, match="already closed"):
        services.close(rel, reason="lapsed", actor=None)
    for action in (
        lambda: services.pause(rel, reason="sick_leave", actor=None),
        lambda: services.mark_ending_due(rel),
        lambda: services.save_agreement(rel, mentor, services.default_agreement(rel), actor=None),
    ):
        with pytest.raises(RelationshipError):
            action()


@pytest.mark.parametrize("reason", ["safeguarding", "no_fault"])
def test_coordinator_close_keeps_the_pair_apart(scheme_a, alice, rel_setup, reason):
    rel, mentor, mentee = rel_setup
    services.close(rel, reason=reason, actor=alice)
    assert (mentee.participant_id, mentor.participant_id) in forbidden_pairs(scheme_a)
    assert mentee.participant in eligible_mentees(scheme_a)


def test_never_again_is_honoured_after_an_ordinary_close(scheme_a, rel_setup):
    rel, mentor, mentee = rel_setup
    with pytest.raises(RelationshipError, match="Choose why"):
        services.close(rel, reason="lapsed", actor=None, member=mentee)
    services.close(rel, reason="circumstances_changed", actor=None, member=mentee, never_again=True)
    assert (mentee.participant_id, mentor.participant_id) in forbidden_pairs(scheme_a)


def test_transition_table_refuses_what_is_not_listed():
    for source, targets in services.TRANSITIONS.items():
        for target in S.values:
            rel = Relationship(state=source)
            if target in targets:
                continue
            with pytest.raises(RelationshipError, match="cannot become"):
                services.move_to(rel, target)


def test_email_subjects_read_well_when_the_scheme_name_ends_in_mentoring():
    """'Your Horizons Mentoring mentoring is paused' was how five subjects read."""
    from datetime import date
    from pathlib import Path
    from types import SimpleNamespace

    from django.conf import settings
    from django.template.loader import render_to_string

    scheme = SimpleNamespace(name="Horizons Mentoring")
    rel = SimpleNamespace(end_date=date(2027, 3, 1), get_kind_display="One-to-one")
    folder = Path(settings.BASE_DIR) / "templates" / "emails"
    subjects = sorted(folder.glob("*.subject.txt"))
    assert len(subjects) > 10
    for path in subjects:
        text = render_to_string(f"emails/{path.name}", {"scheme": scheme, "rel": rel}).lower()
        assert "mentoring mentoring" not in text, path.name
    paused = render_to_string("emails/rel_paused.subject.txt", {"scheme": scheme, "rel": rel})
    assert paused.strip() == "Your mentoring in Horizons Mentoring is paused"
