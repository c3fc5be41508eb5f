"""Meetings (arrange, move, cancel, log) and the private notes only their author reads."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.enrolment.models import Participant
from equimentor.relationships import emails
from equimentor.relationships.models import Meeting, Membership, PrivateNote, Relationship
from equimentor.relationships.services.base import (
    RelationshipError,
    State,
    current_member,
    lock_relationship,
    move_to,
    require_open,
    touch,
)
from equimentor.relationships.services.goals import GoalCheck, review_goal

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

    @classmethod
    def from_fields(cls, data: dict) -> MeetingPlan:
        """The plan a meeting form or API request asked for: ``date`` and ``time`` in
        ``time_zone``, with length, mode and where (one reading of both, so they never differ)."""
        return cls(
            local_start=datetime.combine(data["date"], data["time"]),
            time_zone=data["time_zone"],
            duration_minutes=data["duration_minutes"],
            mode=data["mode"],
            video_link=data.get("video_link") or "",
            location=data.get("location") or "",
        )


FIRST_YEAR = 2000  # no mentoring meeting is older; before this, zones' old offsets appear


def _apply_plan(meeting: Meeting, plan: MeetingPlan) -> None:
    last_year = timezone.now().year + 5
    if not FIRST_YEAR <= plan.local_start.year <= last_year:
        # (a year-695 date came back with a local-mean-time offset of seconds: #23)
        raise RelationshipError(f"Choose a date from {FIRST_YEAR} to {last_year}.")
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
    rel = lock_relationship(rel)
    require_open(rel, "arrange meetings")
    if rel.state == State.PAUSED:
        raise RelationshipError("This relationship is paused; resume it to arrange meetings.")
    member = current_member(rel, member)
    meeting = Meeting(relationship=rel, arranged_by=member.participant)
    _apply_plan(meeting, plan)
    meeting.save()
    touch(rel)
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


def _for_email(meeting: Meeting, rel: Relationship) -> None:
    """Give a moved or cancelled meeting its (locked) relationship and who arranged it, with
    their user, as the email to its members names them."""
    meeting.relationship = rel
    meeting.arranged_by = (
        Participant.objects.select_related("user").filter(pk=meeting.arranged_by_id).first()
    )


@transaction.atomic
def reschedule_meeting(
    meeting: Meeting, member: Membership, plan: MeetingPlan, *, actor
) -> Meeting:
    rel = lock_relationship(meeting.relationship)
    require_open(rel, "change meetings")
    member = current_member(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RelationshipError("Only a meeting that has not been logged or cancelled can move.")
    _apply_plan(meeting, plan)
    meeting.sequence += 1
    meeting.save()
    touch(rel)
    audit.record(
        "relationships.meeting.rescheduled",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        sequence=meeting.sequence,
    )
    _for_email(meeting, rel)
    if meeting.starts_at > timezone.now():
        emails.meeting_invitation(meeting, update=True)
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, member: Membership, *, actor) -> Meeting:
    rel = lock_relationship(meeting.relationship)
    member = current_member(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != Meeting.Status.SCHEDULED:
        raise RelationshipError("Only a meeting that has not been logged can be cancelled.")
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "sequence"])
    touch(rel)
    audit.record(
        "relationships.meeting.cancelled",
        meeting,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
    )
    _for_email(meeting, rel)
    if meeting.starts_at > timezone.now():
        emails.meeting_cancelled(meeting)
    return meeting


def _to_come(rel: Relationship):
    return Meeting.objects.filter(
        relationship=rel, status=Meeting.Status.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("starts_at")


def meetings_to_come(rel: Relationship) -> list[Meeting]:
    """A relationship's scheduled meetings that have not started, soonest first."""
    return list(_to_come(rel))


def cancel_meetings_to_come(rel: Relationship, *, actor) -> list[Meeting]:
    """Cancel a closing (locked) relationship's scheduled meetings that have not started, each
    audited; the caller's email to the members carries the calendar cancellations."""
    meetings = list(_to_come(rel).select_for_update())
    for meeting in meetings:
        meeting.status = Meeting.Status.CANCELLED
        meeting.sequence += 1
        meeting.relationship = rel
        audit.record(
            "relationships.meeting.cancelled",
            meeting,
            actor=actor,
            scheme=rel.scheme,
            relationship_id=rel.pk,
            because="relationship_closed",
        )
    Meeting.objects.bulk_update(meetings, ["status", "sequence"])
    return meetings


def not_started_message(meeting: Meeting) -> str:
    """Why a meeting cannot be logged yet, with its start in the zone it was arranged in."""
    zone = meeting.time_zone or "UTC"
    try:
        local = meeting.starts_at.astimezone(zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone, local = "UTC", meeting.starts_at.astimezone(zoneinfo.ZoneInfo("UTC"))
    when = f"{local.day} {local:%B %Y, %H:%M} {zone}"
    return (
        f"This meeting has not started yet: it is arranged for {when}. "
        "You can log whether it took place once it has started."
    )


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
    rel = lock_relationship(meeting.relationship)
    require_open(rel, "log meetings")
    member = current_member(rel, member)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.relationship_id != rel.pk:
        raise RelationshipError("No such meeting in this relationship.")
    if meeting.status == Meeting.Status.CANCELLED:
        raise RelationshipError("This meeting was cancelled.")
    now = timezone.now()
    if meeting.starts_at > now:
        raise RelationshipError(not_started_message(meeting))
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
        review_goal(rel, check, by=member.participant, meeting=meeting)
    if happened and (rel.last_met_at is None or meeting.starts_at > rel.last_met_at):
        rel.last_met_at = meeting.starts_at
        rel.save(update_fields=["last_met_at"])
    touch(rel)
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
        move_to(rel, State.TRIAL)
        audit.record("relationships.relationship.trial", rel, actor=actor, scheme=rel.scheme)
    return meeting


# -- private notes ---------------------------------------------------------------------------------


@transaction.atomic
def add_private_note(rel: Relationship, member: Membership, body: str, *, actor, meeting=None):
    """A note only its author will ever see. The audit trail holds its id, never its text."""
    member = current_member(lock_relationship(rel), member)
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
