"""A relationship's life: creation (from a proposal or by the coordinator), the trial after the
first meeting, pausing and resuming, the end date, extending and closing (including stepping
away without fault)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from equimentor.core import audit
from equimentor.directory.models import Conflict
from equimentor.enrolment.models import Participant
from equimentor.matching.adapter import forbidden_pairs
from equimentor.pairing.load import load_of
from equimentor.relationships import emails, queries
from equimentor.relationships.models import Meeting, Membership, Relationship, pairs_among
from equimentor.relationships.services.agreements import maybe_activate
from equimentor.relationships.services.base import (
    Reason,
    RelationshipError,
    Side,
    State,
    add_months,
    current_member,
    lock_relationship,
    move_to,
    today,
    touch,
)
from equimentor.relationships.services.meetings import cancel_meetings_to_come, meetings_to_come

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
    pairs = pairs_among(members)
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
    return create_checked(scheme, kind, members, actor=actor, name=name)


@transaction.atomic
def create_checked(scheme, kind: str, members: list[NewMember], *, actor, name: str = ""):
    """Create a relationship of any kind once the members pass every rule (capacity, same
    institution, conflicts). Pages reach one-to-one relationships only through proposals; the
    demo data uses this directly to give its demo mentor a one-to-one."""
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


# -- the trial ---------------------------------------------------------------------------------------


def _viable(rel: Relationship, members=None) -> bool:
    """Whether ``members`` (by default those still in ``rel``) can go on as ``rel``'s kind."""
    members = rel.active_members() if members is None else members
    if rel.kind == Relationship.Kind.PEER:
        return sum(1 for m in members if m.side == Side.PEER) >= 2
    return any(m.side == Side.MENTOR for m in members) and any(
        m.side == Side.MENTEE for m in members
    )


def removable_members(rel: Relationship, members) -> set[int]:
    """The participant ids among ``members`` (all of ``rel``'s memberships, left or not) whom
    the coordinator may remove: ``remove_member``'s own rule, so a page offers only what it
    would accept."""
    if not rel.is_open or rel.kind == Relationship.Kind.ONE_TO_ONE:
        return set()
    active = [m for m in members if m.left_at is None]
    return {m.participant_id for m in active if _viable(rel, [o for o in active if o is not m])}


@transaction.atomic
def trial_decision(
    rel: Relationship, member: Membership, *, go_on: bool, never_again: bool = False, actor
) -> Relationship:
    """After the first meeting, each person privately says continue or step away (no fault)."""
    rel = lock_relationship(rel)
    member = current_member(rel, member)
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
    changed = ["trial_decision", "trial_decided_at"]
    if go_on:
        member.trial_decision = Membership.TrialDecision.CONTINUE
    else:
        member.trial_decision = Membership.TrialDecision.STEP_AWAY
        member.left_at = now
        member.left_reason = Membership.LeftReason.STEPPED_AWAY
        member.never_again = never_again
        changed += ["left_at", "left_reason", "never_again"]
    member.save(update_fields=changed)
    audit.record(
        "relationships.trial.decided",
        member,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        decision="continue" if go_on else "step_away",
    )
    if go_on:
        maybe_activate(rel, actor=actor)
        return rel
    remaining = rel.active_members()
    cancelled = []
    if not _viable(rel):
        _, cancelled = _close(rel, Reason.NO_FAULT, actor=actor)
    else:
        touch(rel)
        maybe_activate(rel, actor=actor)
    emails.will_not_continue(rel, remaining, cancelled)
    return rel


# -- pausing, ending, extending, closing -------------------------------------------------------------


@transaction.atomic
def pause(rel: Relationship, *, reason: str, actor, member: Membership | None = None):
    rel = lock_relationship(rel)
    if member is not None:
        current_member(rel, member)
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
    move_to(rel, State.PAUSED, fields=["resume_state", "paused_on", "pause_reason"])
    audit.record("relationships.relationship.paused", rel, actor=actor, scheme=rel.scheme)
    emails.paused(rel)
    return rel


@transaction.atomic
def resume(rel: Relationship, *, actor, member: Membership | None = None):
    """Resume after a pause: the end date moves on by the length of the pause."""
    rel = lock_relationship(rel)
    if member is not None:
        current_member(rel, member)
    if rel.state != State.PAUSED:
        raise RelationshipError("Only a paused relationship can be resumed.")
    days = (today() - rel.paused_on).days
    rel.end_date = rel.end_date + timedelta(days=days)
    rel.paused_days += days
    target = rel.resume_state or State.ACTIVE
    rel.paused_on = None
    rel.pause_reason = ""
    rel.resume_state = ""
    move_to(
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
    rel = lock_relationship(rel)
    if rel.state not in (State.ACTIVE, State.EXTENDED):
        raise RelationshipError("Only an active or extended relationship can become due to end.")
    if today() < rel.end_date - timedelta(days=prompt_days):
        raise RelationshipError("The end date is not near yet.")
    rel.memberships.update(end_choice="", end_choice_date=None, end_choice_at=None)
    move_to(rel, State.ENDING_DUE)
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
    rel = lock_relationship(rel)
    member = current_member(rel, member)
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
        move_to(rel, State.EXTENDED, fields=["end_date", "extended_count"])
        audit.record(
            "relationships.relationship.extended",
            rel,
            actor=actor,
            scheme=rel.scheme,
            end_date=new_end_date.isoformat(),
        )
        emails.extended(rel)
    return rel


def _close(rel: Relationship, reason: str, *, actor) -> tuple[list[Membership], list[Meeting]]:
    """Close a locked relationship and cancel its meetings still to come; returns the members
    who were still in it and the meetings cancelled (their emails carry the calendar updates)."""
    now = timezone.now()
    still_in = rel.active_members()
    rel.closed_at = now
    rel.close_reason = reason
    move_to(rel, State.CLOSED, fields=["closed_at", "close_reason"])
    rel.memberships.filter(left_at__isnull=True).update(
        left_at=now, left_reason=Membership.LeftReason.CLOSED
    )
    audit.record(
        "relationships.relationship.closed", rel, actor=actor, scheme=rel.scheme, reason=reason
    )
    return still_in, cancel_meetings_to_come(rel, actor=actor)


def _member_close(rel, member, *, reason, never_again, actor):
    if reason not in Relationship.MEMBER_REASONS:
        raise RelationshipError("Choose why you are closing the relationship.")
    if never_again and not member.never_again:
        member.never_again = True
        member.save(update_fields=["never_again"])
    still_in, cancelled = _close(rel, reason, actor=actor)
    emails.closed(rel, still_in, cancelled)
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
    rel = lock_relationship(rel)
    if rel.state == State.CLOSED:
        raise RelationshipError("This relationship is already closed.")
    if member is not None:
        return _member_close(
            rel, current_member(rel, member), reason=reason, never_again=never_again, actor=actor
        )
    if reason not in Reason.values:
        raise RelationshipError("Choose why the relationship is closing.")
    still_in, cancelled = _close(rel, reason, actor=actor)
    emails.closed(rel, still_in, cancelled)
    return rel


# -- leaving the scheme ------------------------------------------------------------------------------


def _leaves(rel, member, left_reason: str, action: str, *, actor, **data) -> None:
    """``member`` leaves the locked ``rel`` now, for ``left_reason``; audited as ``action``."""
    member.left_at = timezone.now()
    member.left_reason = left_reason
    member.save(update_fields=["left_at", "left_reason"])
    audit.record(action, member, actor=actor, scheme=rel.scheme, relationship_id=rel.pk, **data)


@transaction.atomic
def leave_scheme(participant: Participant, *, actor) -> int:
    """Someone left the scheme (they withdrew, or their institution says they have left): they
    leave every open relationship they are still in, inside the withdrawal's transaction. One
    that cannot go on without them (no mentor or no mentee left, a peer group of one) closes as
    "withdrawn" and its meetings to come are cancelled; the others carry on. Those who remain are
    told neutrally, never why; the leaver is sent calendar cancellations for meetings they had
    to come. Returns how many relationships they left."""
    left = 0
    for rel in queries.open_relationships_of(participant):
        rel = lock_relationship(rel)
        member = next((m for m in rel.active_members() if m.participant_id == participant.pk), None)
        if rel.state == State.CLOSED or member is None:
            continue
        theirs = meetings_to_come(rel)
        _leaves(
            rel,
            member,
            Membership.LeftReason.WITHDREW,
            "relationships.member.left",
            actor=actor,
            reason=Membership.LeftReason.WITHDREW,
        )
        remaining = rel.active_members()
        cancelled = []
        if not _viable(rel):
            _, cancelled = _close(rel, Reason.WITHDRAWN, actor=actor)
            theirs = cancelled  # now cancelled, with their new sequence numbers
        else:
            touch(rel)
            maybe_activate(rel, actor=actor)
        emails.member_left(rel, remaining, cancelled)
        if theirs:
            emails.left_meetings(rel, member, theirs)
        left += 1
    return left


@transaction.atomic
def remove_member(rel: Relationship, participant_id: int, *, actor) -> Membership:
    """The coordinator takes one member out of a group, peer circle or network; the others
    carry on. A one-to-one, or a relationship that could not go on without them (no mentor or
    no mentee left, a circle of one), is refused: close it instead. The others are told
    neutrally, never who or why; the person removed is told they are no longer a member, with
    calendar cancellations for the meetings they had to come."""
    rel = lock_relationship(rel)
    if rel.state == State.CLOSED:
        raise RelationshipError("This relationship has closed; its members cannot change.")
    if rel.kind == Relationship.Kind.ONE_TO_ONE:
        raise RelationshipError(
            "A one-to-one relationship cannot go on without one of its two members: close it "
            "instead."
        )
    members = rel.active_members()
    member = next((m for m in members if m.participant_id == participant_id), None)
    if member is None:
        raise RelationshipError("This person is no longer a member of this relationship.")
    remaining = [m for m in members if m is not member]
    if not _viable(rel, remaining):
        raise RelationshipError(
            "Without them this relationship would have no mentor or no mentee (or a peer circle "
            "of one): close the relationship instead."
        )
    theirs = meetings_to_come(rel)
    _leaves(rel, member, Membership.LeftReason.REMOVED, "relationships.member.removed", actor=actor)
    touch(rel)
    maybe_activate(rel, actor=actor)  # the others may all have said "continue" already
    emails.member_left(rel, remaining)
    emails.removed(rel, member, theirs)
    return member
