"""Every state change of mentoring relationships, each in a transaction with one audit record.

States: accepted → trial (first meeting held) → active (both continue and the agreement is
confirmed by everyone) → paused ⇄ (end date moves by the pause) → ending due → extended or closed.
An invalid change raises :class:`RelationshipError` with a message for the person.
"""

from __future__ import annotations

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from equimentor.core import audit
from equimentor.enrolment.models import Participant
from equimentor.relationships import emails
from equimentor.relationships.models import (
    AgreementConfirmation,
    AgreementVersion,
    CheckIn,
    Flag,
    Goal,
    GoalReview,
    Meeting,
    Membership,
    Milestone,
    PrivateNote,
    Relationship,
    SponsorshipAct,
)

State = Relationship.State
Reason = Relationship.CloseReason
Side = Membership.Side


class RelationshipError(Exception):
    """A relationship action that cannot be carried out, with a message for the person."""


# Allowed state changes; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    State.ACCEPTED: {State.TRIAL, State.CLOSED},
    State.TRIAL: {State.ACTIVE, State.CLOSED},
    State.ACTIVE: {State.PAUSED, State.ENDING_DUE, State.CLOSED},
    State.PAUSED: {State.ACTIVE, State.EXTENDED, State.CLOSED},
    State.ENDING_DUE: {State.EXTENDED, State.PAUSED, State.CLOSED},
    State.EXTENDED: {State.PAUSED, State.ENDING_DUE, State.CLOSED},
    State.CLOSED: set(),
}


def today() -> date:
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _lock(rel: Relationship) -> Relationship:
    """The relationship's row, locked for this transaction, with its members loaded."""
    locked = Relationship.objects.select_for_update().get(pk=rel.pk)
    locked = Relationship.objects.select_related("scheme").get(pk=locked.pk)
    prefetch_related_objects([locked], "memberships__participant__user")
    return locked


def _member_of(rel: Relationship, member: Membership) -> Membership:
    for m in rel.memberships.all():
        if m.pk == member.pk and m.left_at is None:
            return m
    raise RelationshipError("You are no longer a member of this relationship.")


def _move(rel: Relationship, to: str, *, fields: list[str] | None = None) -> None:
    if to not in TRANSITIONS[rel.state]:
        raise RelationshipError(
            f"A relationship that is {rel.get_state_display().lower()} cannot become "
            f"{State(to).label.lower()}."
        )
    rel.state = to
    rel.last_activity_at = timezone.now()
    rel.save(update_fields=["state", "last_activity_at", *(fields or [])])


def _touch(rel: Relationship) -> None:
    rel.last_activity_at = timezone.now()
    rel.save(update_fields=["last_activity_at"])


def _require_open(rel: Relationship, doing: str) -> None:
    if rel.state == State.CLOSED:
        raise RelationshipError(f"This relationship has closed, so you cannot {doing}.")


# -- creating relationships ----------------------------------------------------------------------


def _new(scheme, kind, *, actor, proposal=None, name="") -> Relationship:
    now = timezone.now()
    start = today()
    end = add_months(start, scheme.relationship_months)
    return Relationship.objects.create(
        scheme=scheme,
        kind=kind,
        name=name.strip(),
        proposal=proposal,
        started_at=now,
        start_date=start,
        end_date=end,
        original_end_date=end,
        last_activity_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def start_from_proposal(proposal, actor) -> Relationship:
    """A one-to-one relationship from a proposal both sides accepted (called by matching.reply).

    Runs inside the caller's transaction, which holds the mentor's row lock.
    """
    with transaction.atomic():
        existing = Relationship.objects.filter(proposal=proposal).first()
        if existing is not None:
            return existing
        rel = _new(proposal.scheme, Relationship.Kind.ONE_TO_ONE, actor=actor, proposal=proposal)
        now = rel.started_at
        Membership.objects.bulk_create(
            [
                Membership(
                    relationship=rel,
                    participant_id=proposal.mentor_id,
                    side=Side.MENTOR,
                    joined_at=now,
                ),
                Membership(
                    relationship=rel,
                    participant_id=proposal.mentee_id,
                    side=Side.MENTEE,
                    joined_at=now,
                ),
            ]
        )
        audit.record(
            "relationships.relationship.started",
            rel,
            actor=actor,
            scheme=rel.scheme,
            kind=rel.kind,
            proposal_id=proposal.pk,
            end_date=rel.end_date.isoformat(),
        )
    return rel


@dataclass
class NewMember:
    participant: Participant
    side: str
    role: str = Membership.Role.MENTOR


def _check_members(scheme, kind: str, members: list[NewMember]) -> None:
    from equimentor.directory.models import Conflict
    from equimentor.matching.adapter import forbidden_pairs
    from equimentor.matching.capacity import load_of

    ids = [m.participant.pk for m in members]
    if len(set(ids)) != len(ids):
        raise RelationshipError("Each person can be in a relationship only once.")
    mentors = [m for m in members if m.side == Side.MENTOR]
    mentees = [m for m in members if m.side == Side.MENTEE]
    peers = [m for m in members if m.side == Side.PEER]
    if kind == Relationship.Kind.GROUP and (len(mentors) != 1 or len(mentees) < 2):
        raise RelationshipError("A group has one mentor and at least two mentees.")
    if kind == Relationship.Kind.NETWORK and (len(mentees) != 1 or len(mentors) < 1):
        raise RelationshipError("A mentoring network has one mentee and at least one mentor.")
    if kind == Relationship.Kind.PEER and (len(peers) < 2 or mentors or mentees):
        raise RelationshipError("A peer circle has at least two peers.")
    if kind == Relationship.Kind.ONE_TO_ONE and (len(mentors) != 1 or len(mentees) != 1):
        raise RelationshipError("A one-to-one relationship has one mentor and one mentee.")
    for m in members:
        p = m.participant
        if p.scheme_id != scheme.pk:
            raise RelationshipError("Everyone must belong to this scheme.")
        if p.status != Participant.Status.APPROVED:
            raise RelationshipError("Everyone must be an approved participant.")
        if m.side == Side.MENTOR and not p.is_mentor:
            raise RelationshipError("Each mentor must have registered as a mentor.")
        if m.side == Side.MENTEE and not p.is_mentee:
            raise RelationshipError("Each mentee must have registered as a mentee.")
        if m.side == Side.PEER and not (p.is_mentor and p.is_mentee):
            raise RelationshipError("Peers must have registered as both mentor and mentee.")
    roles = [m.role for m in mentors]
    if kind == Relationship.Kind.NETWORK and len(set(roles)) != len(roles):
        raise RelationshipError("Give each mentor of a network a different role.")
    # pairs that must not be together
    if peers:
        pairs = [(a, b) for a in peers for b in peers if a is not b]
    else:
        pairs = [(a, b) for a in mentees for b in mentors]
    forbidden = forbidden_pairs(scheme)
    for mentee, mentor in pairs:
        if scheme.different_institutions and (
            mentee.participant.institution_id == mentor.participant.institution_id
        ):
            raise RelationshipError(
                "This scheme pairs people from different institutions only: "
                f"{mentee.participant.user.full_name} and {mentor.participant.user.full_name} "
                "work at the same institution."
            )
        if (mentee.participant.pk, mentor.participant.pk) in forbidden or Conflict.objects.filter(
            mentee=mentee.participant, mentor=mentor.participant
        ).exists():
            raise RelationshipError(
                f"{mentee.participant.user.full_name} and {mentor.participant.user.full_name} "
                "cannot be placed together."
            )
    # capacity, with each mentor's row locked
    places = {m.participant.pk: 0 for m in mentors + peers}
    for m in mentors:
        places[m.participant.pk] = len(mentees)
    for m in peers:
        places[m.participant.pk] = 1
    for pid, needed in places.items():
        locked = Participant.objects.select_for_update().select_related("user").get(pk=pid)
        if load_of(pid) + needed > (locked.mentor_capacity or 0):
            raise RelationshipError(
                f"{locked.user.full_name} has no room for this: "
                f"{load_of(pid)} of {locked.mentor_capacity or 0} places are taken "
                f"and this needs {needed}."
            )


@transaction.atomic
def create_relationship(scheme, kind: str, members: list[NewMember], *, actor, name: str = ""):
    """The coordinator creates a group, peer circle or network (capacity and rules checked)."""
    if kind == Relationship.Kind.ONE_TO_ONE:
        raise RelationshipError("One-to-one relationships start from an accepted proposal.")
    _check_members(scheme, kind, members)
    rel = _new(scheme, kind, actor=actor, name=name)
    Membership.objects.bulk_create(
        [
            Membership(
                relationship=rel,
                participant=m.participant,
                side=m.side,
                role=m.role if m.side == Side.MENTOR else Membership.Role.MENTOR,
                joined_at=rel.started_at,
            )
            for m in members
        ]
    )
    prefetch_related_objects([rel], "memberships__participant__user")
    audit.record(
        "relationships.relationship.created",
        rel,
        actor=actor,
        scheme=scheme,
        kind=kind,
        members=len(members),
        end_date=rel.end_date.isoformat(),
    )
    emails.started(rel)
    return rel


# -- agreement -------------------------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "frequency",
    "mode",
    "topics",
    "outputs",
    "confidentiality",
    "duration",
    "ending",
)


def default_agreement(rel: Relationship) -> dict[str, str]:
    """The scheme's template agreement, pre-filled for this relationship."""
    scheme = rel.scheme
    return {
        "frequency": AgreementVersion.Frequency.MONTHLY,
        "mode": (
            AgreementVersion.Mode.VIRTUAL
            if scheme.different_institutions or rel.kind != Relationship.Kind.ONE_TO_ONE
            else AgreementVersion.Mode.VIRTUAL
        ),
        "topics": (
            "What the mentee wants to work on (for example career planning, fellowships and "
            "grants, publishing, leadership, navigating the institution), and what each of us "
            "expects of the other: the mentee usually sets the agenda; both come prepared and "
            "let each other know in good time if a meeting must move."
        ),
        "outputs": "For example: a career plan, a fellowship application, a paper submitted.",
        "confidentiality": (
            "What we discuss stays between us, unless someone is at risk of harm. We follow the "
            f"{scheme.name} confidentiality agreement and code of conduct."
        ),
        "duration": (
            f"{scheme.relationship_months} months, from {rel.start_date:%-d %B %Y} to "
            f"{rel.end_date:%-d %B %Y}, extendable if we both agree."
        ),
        "ending": (
            "Either of us can end the mentoring at any time without giving a reason and without "
            "fault, through Equimentor. The other is told only that it will not continue."
        ),
    }


def latest_agreement(rel: Relationship) -> AgreementVersion | None:
    return rel.agreement_versions.order_by("-number").first()


@transaction.atomic
def save_agreement(rel: Relationship, member: Membership, data: dict, *, actor) -> AgreementVersion:
    """Save an edit as a new version; earlier versions and their confirmations are kept."""
    rel = _lock(rel)
    _require_open(rel, "change the agreement")
    member = _member_of(rel, member)
    values = {f: (data.get(f) or "").strip() for f in AGREEMENT_FIELDS}
    missing = [f for f, v in values.items() if not v]
    if missing:
        raise RelationshipError("Every part of the agreement needs an answer.")
    latest = latest_agreement(rel)
    if latest is not None and all(getattr(latest, f) == v for f, v in values.items()):
        raise RelationshipError("Nothing has changed since the last version.")
    version = AgreementVersion.objects.create(
        relationship=rel,
        number=(latest.number + 1) if latest else 1,
        saved_by=member.participant,
        saved_at=timezone.now(),
        **values,
    )
    _touch(rel)
    audit.record(
        "relationships.agreement.saved",
        version,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        number=version.number,
    )
    return version


@transaction.atomic
def confirm_agreement(
    rel: Relationship, member: Membership, version: AgreementVersion, *, actor
) -> AgreementConfirmation:
    rel = _lock(rel)
    _require_open(rel, "confirm the agreement")
    member = _member_of(rel, member)
    latest = latest_agreement(rel)
    if version.relationship_id != rel.pk or latest is None:
        raise RelationshipError("No such agreement version in this relationship.")
    if version.pk != latest.pk:
        raise RelationshipError(
            f"Version {latest.number} has been saved since; read it and confirm that one."
        )
    confirmation, created = AgreementConfirmation.objects.get_or_create(
        version=version,
        participant=member.participant,
        defaults={"confirmed_at": timezone.now()},
    )
    if not created:
        raise RelationshipError("You have already confirmed this version.")
    _touch(rel)
    audit.record(
        "relationships.agreement.confirmed",
        version,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        number=version.number,
    )
    _maybe_activate(rel, actor=actor)
    return confirmation


def agreement_confirmed_by_all(rel: Relationship) -> bool:
    latest = latest_agreement(rel)
    if latest is None:
        return False
    confirmed = set(latest.confirmations.values_list("participant_id", flat=True))
    return all(m.participant_id in confirmed for m in rel.active_members())


def _maybe_activate(rel: Relationship, *, actor) -> None:
    if rel.state != State.TRIAL:
        return
    members = rel.active_members()
    if not all(m.trial_decision == Membership.TrialDecision.CONTINUE for m in members):
        return
    if not agreement_confirmed_by_all(rel):
        return
    rel.activated_at = timezone.now()
    _move(rel, State.ACTIVE, fields=["activated_at"])
    audit.record("relationships.relationship.activated", rel, actor=actor, scheme=rel.scheme)


# -- the trial ---------------------------------------------------------------------------------------


def _viable(rel: Relationship) -> bool:
    members = rel.active_members()
    if rel.kind == Relationship.Kind.PEER:
        return sum(1 for m in members if m.side == Side.PEER) >= 2
    return any(m.side == Side.MENTOR for m in members) and any(
        m.side == Side.MENTEE for m in members
    )


@transaction.atomic
def trial_decision(
    rel: Relationship, member: Membership, *, go_on: bool, never_again: bool = False, actor
) -> Relationship:
    """After the first meeting, each person privately says continue or step away (no fault)."""
    rel = _lock(rel)
    member = _member_of(rel, member)
    if rel.state == State.ACCEPTED:
        raise RelationshipError(
            "You can decide whether to continue once your first meeting has been logged."
        )
    if rel.state != State.TRIAL:
        raise RelationshipError("The trial is over: this relationship is past its first meeting.")
    if member.trial_decision:
        raise RelationshipError("You have already given your decision after the first meeting.")
    now = timezone.now()
    member.trial_decided_at = now
    if go_on:
        member.trial_decision = Membership.TrialDecision.CONTINUE
        member.save(update_fields=["trial_decision", "trial_decided_at"])
        audit.record(
            "relationships.trial.decided",
            member,
            actor=actor,
            scheme=rel.scheme,
            relationship_id=rel.pk,
            decision="continue",
        )
        _maybe_activate(rel, actor=actor)
        return rel
    member.trial_decision = Membership.TrialDecision.STEP_AWAY
    member.left_at = now
    member.left_reason = Membership.LeftReason.STEPPED_AWAY
    member.never_again = never_again
    member.save(
        update_fields=[
            "trial_decision",
            "trial_decided_at",
            "left_at",
            "left_reason",
            "never_again",
        ]
    )
    audit.record(
        "relationships.trial.decided",
        member,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        decision="step_away",
    )
    remaining = rel.active_members()
    if not _viable(rel):
        _close(rel, Reason.NO_FAULT, actor=actor)
    else:
        _touch(rel)
        _maybe_activate(rel, actor=actor)
    emails.will_not_continue(rel, remaining)
    return rel


# -- pausing, ending, extending, closing -------------------------------------------------------------


@transaction.atomic
def pause(rel: Relationship, *, reason: str, actor, member: Membership | None = None):
    rel = _lock(rel)
    if member is not None:
        _member_of(rel, member)
    if rel.state not in (State.ACTIVE, State.EXTENDED, State.ENDING_DUE):
        raise RelationshipError(
            "Only an active relationship can be paused "
            f"(this one is {rel.get_state_display().lower()})."
        )
    if reason not in Relationship.PauseReason.values:
        raise RelationshipError("Choose why the relationship is pausing.")
    rel.resume_state = State.EXTENDED if rel.extended_count else State.ACTIVE
    rel.paused_on = today()
    rel.pause_reason = reason
    rel.memberships.update(end_choice="", end_choice_date=None, end_choice_at=None)
    _move(rel, State.PAUSED, fields=["resume_state", "paused_on", "pause_reason"])
    audit.record("relationships.relationship.paused", rel, actor=actor, scheme=rel.scheme)
    emails.paused(rel)
    return rel


@transaction.atomic
def resume(rel: Relationship, *, actor, member: Membership | None = None):
    """Resume after a pause: the end date moves on by the length of the pause."""
    rel = _lock(rel)
    if member is not None:
        _member_of(rel, member)
    if rel.state != State.PAUSED:
        raise RelationshipError("Only a paused relationship can be resumed.")
    days = (today() - rel.paused_on).days
    rel.end_date = rel.end_date + timedelta(days=days)
    rel.paused_days += days
    target = rel.resume_state or State.ACTIVE
    rel.paused_on = None
    rel.pause_reason = ""
    rel.resume_state = ""
    _move(
        rel, target, fields=["end_date", "paused_days", "paused_on", "pause_reason", "resume_state"]
    )
    audit.record(
        "relationships.relationship.resumed",
        rel,
        actor=actor,
        scheme=rel.scheme,
        paused_days=days,
        end_date=rel.end_date.isoformat(),
    )
    emails.resumed(rel)
    return rel


@transaction.atomic
def mark_ending_due(rel: Relationship, *, actor=None, prompt_days: int = 14) -> Relationship:
    rel = _lock(rel)
    if rel.state not in (State.ACTIVE, State.EXTENDED):
        raise RelationshipError("Only an active or extended relationship can become due to end.")
    if today() < rel.end_date - timedelta(days=prompt_days):
        raise RelationshipError("The end date is not near yet.")
    rel.memberships.update(end_choice="", end_choice_date=None, end_choice_at=None)
    _move(rel, State.ENDING_DUE)
    audit.record(
        "relationships.relationship.ending_due",
        rel,
        actor=actor,
        scheme=rel.scheme,
        end_date=rel.end_date.isoformat(),
    )
    return rel


@transaction.atomic
def end_choice(
    rel: Relationship,
    member: Membership,
    *,
    extend: bool,
    new_end_date: date | None = None,
    reason: str = Reason.GOALS_MET,
    never_again: bool = False,
    actor,
) -> Relationship:
    """At the end date each says extend (with a new end date) or close; both must agree to extend."""
    rel = _lock(rel)
    member = _member_of(rel, member)
    if rel.state != State.ENDING_DUE:
        raise RelationshipError(
            "You will be asked whether to extend or close two weeks before the end date."
        )
    if not extend:
        return _member_close(rel, member, reason=reason, never_again=never_again, actor=actor)
    if new_end_date is None or new_end_date <= rel.end_date:
        raise RelationshipError("Choose a new end date after the current one.")
    if new_end_date > add_months(rel.end_date, 12):
        raise RelationshipError("Extend by at most twelve months at a time.")
    now = timezone.now()
    others = [m for m in rel.active_members() if m.pk != member.pk]
    changed = [
        m
        for m in others
        if m.end_choice == Membership.EndChoice.EXTEND and m.end_choice_date != new_end_date
    ]
    for m in changed:  # they agreed to another date: they must agree again
        m.end_choice, m.end_choice_date, m.end_choice_at = "", None, None
        m.save(update_fields=["end_choice", "end_choice_date", "end_choice_at"])
    member.end_choice = Membership.EndChoice.EXTEND
    member.end_choice_date = new_end_date
    member.end_choice_at = now
    member.save(update_fields=["end_choice", "end_choice_date", "end_choice_at"])
    audit.record(
        "relationships.end.chosen",
        member,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        choice="extend",
        end_date=new_end_date.isoformat(),
    )
    if all(
        m.end_choice == Membership.EndChoice.EXTEND and m.end_choice_date == new_end_date
        for m in rel.active_members()
    ):
        rel.end_date = new_end_date
        rel.extended_count += 1
        rel.memberships.update(end_choice="", end_choice_date=None, end_choice_at=None)
        _move(rel, State.EXTENDED, fields=["end_date", "extended_count"])
        audit.record(
            "relationships.relationship.extended",
            rel,
            actor=actor,
            scheme=rel.scheme,
            end_date=new_end_date.isoformat(),
        )
        emails.extended(rel)
    return rel


def _close(rel: Relationship, reason: str, *, actor) -> list[Membership]:
    """Close a locked relationship; returns the members who were still in it."""
    now = timezone.now()
    still_in = rel.active_members()
    rel.closed_at = now
    rel.close_reason = reason
    _move(rel, State.CLOSED, fields=["closed_at", "close_reason"])
    rel.memberships.filter(left_at__isnull=True).update(
        left_at=now, left_reason=Membership.LeftReason.CLOSED
    )
    audit.record(
        "relationships.relationship.closed", rel, actor=actor, scheme=rel.scheme, reason=reason
    )
    return still_in


def _member_close(rel, member, *, reason, never_again, actor):
    if reason not in Relationship.MEMBER_REASONS:
        raise RelationshipError("Choose why you are closing the relationship.")
    if never_again and not member.never_again:
        member.never_again = True
        member.save(update_fields=["never_again"])
    still_in = _close(rel, reason, actor=actor)
    emails.closed(rel, still_in)
    return rel


@transaction.atomic
def close(
    rel: Relationship,
    *,
    reason: str,
    actor,
    member: Membership | None = None,
    never_again: bool = False,
) -> Relationship:
    """Close a relationship. Members give goals met, circumstances changed or no-fault; the
    coordinator may also close for lapsed, safeguarding or withdrawn. Nobody else is told why."""
    rel = _lock(rel)
    if rel.state == State.CLOSED:
        raise RelationshipError("This relationship is already closed.")
    if member is not None:
        return _member_close(
            rel, _member_of(rel, member), reason=reason, never_again=never_again, actor=actor
        )
    if reason not in Reason.values:
        raise RelationshipError("Choose why the relationship is closing.")
    still_in = _close(rel, reason, actor=actor)
    emails.closed(rel, still_in)
    return rel


# -- meetings --------------------------------------------------------------------------------------


def _aware(local: datetime, tz_name: str) -> datetime:
    try:
        tz = zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise RelationshipError("Choose a time zone from the list.") from exc
    return local.replace(tzinfo=tz)


@dataclass
class MeetingPlan:
    local_start: datetime  # naive, in time_zone
    time_zone: str
    duration_minutes: int = 60
    mode: str = Meeting.Mode.VIRTUAL
    video_link: str = ""
    location: str = ""


def _apply_plan(meeting: Meeting, plan: MeetingPlan) -> None:
    if not 10 <= plan.duration_minutes <= 480:
        raise RelationshipError("A meeting lasts between 10 minutes and 8 hours.")
    if plan.mode not in Meeting.Mode.values:
        raise RelationshipError("Choose how you will meet.")
    meeting.starts_at = _aware(plan.local_start, plan.time_zone).astimezone(
        zoneinfo.ZoneInfo("UTC")
    )
    meeting.time_zone = plan.time_zone
    meeting.duration_minutes = plan.duration_minutes
    meeting.mode = plan.mode
    meeting.video_link = plan.video_link.strip() if plan.mode == Meeting.Mode.VIRTUAL else ""
    meeting.location = plan.location.strip() if plan.mode == Meeting.Mode.IN_PERSON else ""


@transaction.atomic
def schedule_meeting(rel: Relationship, member: Membership, plan: MeetingPlan, *, actor) -> Meeting:
    """Arrange a meeting; a future one sends everyone an iCalendar invitation."""
    rel = _lock(rel)
    _require_open(rel, "arrange meetings")
    if rel.state == State.PAUSED:
        raise RelationshipError("This relationship is paused; resume it to arrange meetings.")
    member = _member_of(rel, member)
    meeting = Meeting(relationship=rel, arranged_by=member.participant)
    _apply_plan(meeting, plan)
    meeting.save()
    _touch(rel)
    audit.record(
        "relationships.meeting.scheduled",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        mode=meeting.mode,
    )
    meeting.relationship = rel
    if meeting.starts_at > timezone.now():
        emails.meeting_invitation(meeting)
    return meeting


@transaction.atomic
def reschedule_meeting(
    meeting: Meeting, member: Membership, plan: MeetingPlan, *, actor
) -> Meeting:
    rel = _lock(meeting.relationship)
    _require_open(rel, "change meetings")
    member = _member_of(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RelationshipError("Only a meeting that has not been logged or cancelled can move.")
    _apply_plan(meeting, plan)
    meeting.sequence += 1
    meeting.save()
    _touch(rel)
    audit.record(
        "relationships.meeting.rescheduled",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        sequence=meeting.sequence,
    )
    meeting.relationship = rel
    meeting.arranged_by = (
        Participant.objects.select_related("user").filter(pk=meeting.arranged_by_id).first()
    )
    if meeting.starts_at > timezone.now():
        emails.meeting_invitation(meeting, update=True)
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, member: Membership, *, actor) -> Meeting:
    rel = _lock(meeting.relationship)
    member = _member_of(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RelationshipError("Only a meeting that has not been logged can be cancelled.")
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence"])
    _touch(rel)
    audit.record(
        "relationships.meeting.cancelled",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
    )
    meeting.relationship = rel
    meeting.arranged_by = (
        Participant.objects.select_related("user").filter(pk=meeting.arranged_by_id).first()
    )
    if meeting.starts_at > timezone.now():
        emails.meeting_cancelled(meeting)
    return meeting


@dataclass
class GoalCheck:
    goal: Goal
    status: str
    progress: int
    note: str = ""


@transaction.atomic
def log_meeting(
    meeting: Meeting,
    member: Membership,
    *,
    happened: bool,
    actual_minutes: int | None = None,
    agenda: str = "",
    agenda_by: str = "",
    shared_notes: str = "",
    actions: str = "",
    reviews: list[GoalCheck] | None = None,
    actor,
) -> Meeting:
    """Record whether a meeting happened, its length, agenda, shared notes, actions and the goals
    reviewed. The first meeting held starts the trial."""
    rel = _lock(meeting.relationship)
    _require_open(rel, "log meetings")
    member = _member_of(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.relationship_id != rel.pk:
        raise RelationshipError("No such meeting in this relationship.")
    if meeting.status == Meeting.Status.CANCELLED:
        raise RelationshipError("This meeting was cancelled.")
    now = timezone.now()
    if meeting.starts_at > now:
        raise RelationshipError("You can log a meeting once it has started.")
    if happened and not actual_minutes:
        raise RelationshipError("Say how long the meeting lasted.")
    if agenda_by and agenda_by not in Meeting.AgendaBy.values:
        raise RelationshipError("Choose who brought the agenda.")
    meeting.status = Meeting.Status.HELD if happened else Meeting.Status.MISSED
    meeting.actual_minutes = actual_minutes if happened else None
    meeting.agenda = agenda.strip()
    meeting.agenda_by = agenda_by
    meeting.shared_notes = shared_notes.strip()
    meeting.actions = actions.strip()
    meeting.logged_at = now
    meeting.logged_by = member.participant
    meeting.save()
    for check in reviews or []:
        _review_goal(rel, check, by=member.participant, meeting=meeting)
    if happened and (rel.last_met_at is None or meeting.starts_at > rel.last_met_at):
        rel.last_met_at = meeting.starts_at
        rel.save(update_fields=["last_met_at"])
    _touch(rel)
    audit.record(
        "relationships.meeting.logged",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        status=meeting.status,
        goals_reviewed=len(reviews or []),
    )
    if happened and rel.state == State.ACCEPTED:
        _move(rel, State.TRIAL)
        audit.record("relationships.relationship.trial", rel, actor=actor, scheme=rel.scheme)
    return meeting


# -- private notes ---------------------------------------------------------------------------------


@transaction.atomic
def add_private_note(rel: Relationship, member: Membership, body: str, *, actor, meeting=None):
    """A note only its author will ever see. The audit trail holds its id, never its text."""
    member = _member_of(_lock(rel), member)
    body = body.strip()
    if not body:
        raise RelationshipError("Write something to save.")
    if meeting is not None and meeting.relationship_id != rel.pk:
        raise RelationshipError("No such meeting in this relationship.")
    note = PrivateNote.objects.create(
        relationship=rel, meeting=meeting, author=member.participant.user, body=body
    )
    audit.record("relationships.private_note.added", note, actor=actor, scheme=rel.scheme)
    return note


@transaction.atomic
def edit_private_note(note: PrivateNote, user, body: str, *, actor) -> PrivateNote:
    note = PrivateNote.objects.select_for_update().get(pk=note.pk)
    if note.author_id != user.pk:
        raise RelationshipError("Only the author of a private note can change it.")
    body = body.strip()
    if not body:
        raise RelationshipError("Write something to save, or delete the note.")
    note.body = body
    note.save(update_fields=["body", "updated_at"])
    audit.record("relationships.private_note.edited", note, actor=actor)
    return note


@transaction.atomic
def delete_private_note(note: PrivateNote, user, *, actor) -> None:
    note = PrivateNote.objects.select_for_update().get(pk=note.pk)
    if note.author_id != user.pk:
        raise RelationshipError("Only the author of a private note can delete it.")
    audit.record("relationships.private_note.deleted", note, actor=actor)
    note.delete()


# -- goals, milestones, sponsorship ----------------------------------------------------------------


@transaction.atomic
def add_goal(
    rel: Relationship, member: Membership, *, title: str, detail: str, target_date: date, actor
) -> Goal:
    rel = _lock(rel)
    _require_open(rel, "add goals")
    member = _member_of(rel, member)
    if member.side == Side.MENTOR:
        raise RelationshipError("Goals belong to the mentee: she sets them for herself.")
    if not title.strip():
        raise RelationshipError("Give the goal a short, specific title.")
    if target_date is None or target_date < today():
        raise RelationshipError("Choose a target date from today onwards.")
    goal = Goal.objects.create(
        relationship=rel,
        owner=member.participant,
        title=title.strip(),
        detail=detail.strip(),
        target_date=target_date,
    )
    _touch(rel)
    audit.record(
        "relationships.goal.added", goal, actor=actor, scheme=rel.scheme, relationship_id=rel.pk
    )
    return goal


def _review_goal(rel, check: GoalCheck, *, by, meeting=None) -> GoalReview:
    goal = check.goal
    if goal.relationship_id != rel.pk:
        raise RelationshipError("No such goal in this relationship.")
    if check.status not in Goal.Status.values or not 0 <= check.progress <= 100:
        raise RelationshipError("Give a status and progress between 0 and 100%.")
    now = timezone.now()
    goal.status = check.status
    goal.progress = 100 if check.status == Goal.Status.ACHIEVED else check.progress
    goal.last_reviewed_at = now
    goal.save(update_fields=["status", "progress", "last_reviewed_at"])
    return GoalReview.objects.create(
        goal=goal,
        meeting=meeting,
        by=by,
        status=goal.status,
        progress=goal.progress,
        note=check.note.strip(),
        at=now,
    )


@transaction.atomic
def update_goal(goal: Goal, member: Membership, check: GoalCheck, *, actor) -> Goal:
    """The mentee who owns a goal records its progress and status."""
    rel = _lock(goal.relationship)
    _require_open(rel, "update goals")
    member = _member_of(rel, member)
    if goal.owner_id != member.participant_id:
        raise RelationshipError("Only the mentee who owns this goal can update it.")
    check.goal = Goal.objects.select_for_update().get(pk=goal.pk)
    review = _review_goal(rel, check, by=member.participant)
    _touch(rel)
    audit.record(
        "relationships.goal.updated",
        check.goal,
        actor=actor,
        scheme=rel.scheme,
        status=review.status,
        progress=review.progress,
    )
    return check.goal


@transaction.atomic
def add_milestone(
    participant: Participant,
    *,
    kind: str,
    title: str,
    achieved_on: date,
    actor,
    relationship: Relationship | None = None,
) -> Milestone:
    if not participant.is_mentee:
        raise RelationshipError("Milestones are recorded by mentees.")
    if kind not in Milestone.Kind.values:
        raise RelationshipError("Choose what kind of milestone this is.")
    if not title.strip():
        raise RelationshipError("Describe the milestone in a few words.")
    if achieved_on is None or achieved_on > today():
        raise RelationshipError("Give the date it happened (today or earlier).")
    if (
        relationship is not None
        and not relationship.memberships.filter(participant=participant).exists()
    ):
        raise RelationshipError("That relationship is not yours.")
    milestone = Milestone.objects.create(
        participant=participant,
        relationship=relationship,
        kind=kind,
        title=title.strip(),
        achieved_on=achieved_on,
    )
    audit.record(
        "relationships.milestone.added",
        milestone,
        actor=actor,
        scheme=participant.scheme,
        kind=kind,
    )
    return milestone


@transaction.atomic
def delete_milestone(milestone: Milestone, participant: Participant, *, actor) -> None:
    if milestone.participant_id != participant.pk:
        raise RelationshipError("Only the person who recorded a milestone can delete it.")
    audit.record(
        "relationships.milestone.deleted", milestone, actor=actor, scheme=participant.scheme
    )
    milestone.delete()


@transaction.atomic
def record_sponsorship(
    rel: Relationship,
    member: Membership,
    *,
    mentee: Participant,
    kind: str,
    description: str,
    on_date: date,
    actor,
) -> SponsorshipAct:
    rel = _lock(rel)
    member = _member_of(rel, member)
    if member.side not in (Side.MENTOR, Side.PEER):
        raise RelationshipError("Sponsorship is recorded by the mentor.")
    if not any(m.participant_id == mentee.pk and m.pk != member.pk for m in rel.active_members()):
        raise RelationshipError("Choose a mentee of this relationship.")
    if kind not in SponsorshipAct.Kind.values:
        raise RelationshipError("Choose what kind of sponsorship this was.")
    if on_date is None or on_date > today():
        raise RelationshipError("Give the date it happened (today or earlier).")
    act = SponsorshipAct.objects.create(
        relationship=rel,
        mentor=member.participant,
        mentee=mentee,
        kind=kind,
        description=description.strip(),
        on_date=on_date,
    )
    _touch(rel)
    audit.record(
        "relationships.sponsorship.recorded",
        act,
        actor=actor,
        scheme=rel.scheme,
        kind=kind,
        relationship_id=rel.pk,
    )
    return act


# -- check-ins and flags ---------------------------------------------------------------------------


def raise_flag(scheme, kind: str, key: str, *, relationship=None, participant=None, proposal=None):
    """Flag something for the coordinator once (the key is unique). Returns the flag or None."""
    if Flag.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                scheme=scheme,
                kind=kind,
                key=key,
                relationship=relationship,
                participant=participant,
                proposal=proposal,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    audit.record("relationships.flag.raised", flag, actor=None, scheme=scheme, kind=kind)
    return flag


@transaction.atomic
def resolve_flag(flag: Flag, *, actor) -> Flag:
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise RelationshipError("This flag has already been dealt with.")
    flag.resolved_at = timezone.now()
    flag.resolved_by = actor
    flag.save(update_fields=["resolved_at", "resolved_by"])
    audit.record(
        "relationships.flag.resolved", flag, actor=actor, scheme=flag.scheme, kind=flag.kind
    )
    return flag


@transaction.atomic
def answer_check_in(check_in: CheckIn, user, *, rating: int, wants_contact: bool, actor) -> CheckIn:
    """A private answer. Low ratings (2 or less) or asking for contact flag the relationship for
    the coordinator; nobody else in the relationship learns anything."""
    check_in = (
        CheckIn.objects.select_for_update()
        .select_related("participant", "relationship__scheme")
        .get(pk=check_in.pk)
    )
    if check_in.participant.user_id != user.pk:
        raise RelationshipError("This check-in is not yours.")
    if check_in.answered_at is not None:
        raise RelationshipError("You have already answered this check-in. Thank you.")
    if rating not in (1, 2, 3, 4, 5):
        raise RelationshipError("Choose how it is going, from 1 to 5.")
    check_in.rating = rating
    check_in.wants_contact = wants_contact
    check_in.answered_at = timezone.now()
    check_in.save(update_fields=["rating", "wants_contact", "answered_at"])
    rel = check_in.relationship
    flagged = rating <= 2 or wants_contact
    audit.record(
        "relationships.check_in.answered",
        check_in,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        flagged=flagged,
    )
    if rating <= 2:
        raise_flag(
            rel.scheme,
            Flag.Kind.LOW_CHECK_IN,
            f"check-in-low:{check_in.pk}",
            relationship=rel,
            participant=check_in.participant,
        )
    if wants_contact:
        raise_flag(
            rel.scheme,
            Flag.Kind.CONTACT_REQUESTED,
            f"check-in-contact:{check_in.pk}",
            relationship=rel,
            participant=check_in.participant,
        )
    return check_in


@transaction.atomic
def save_settings(scheme, values: dict, *, actor):
    from equimentor.relationships.models import RelationshipSettings

    row, _ = RelationshipSettings.objects.update_or_create(scheme=scheme, defaults=values)
    audit.record("relationships.settings.saved", row, actor=actor, scheme=scheme, **values)
    return row
