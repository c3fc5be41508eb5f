"""Every change to sessions and registrations, each with an audit record.

Registering, cancelling, promoting from the waiting list and changing a session's capacity all
lock the session's row first (``select_for_update``), so on PostgreSQL concurrent registrations
queue behind one another and the confirmed places never exceed the capacity; the waiting list is
promoted in the order people joined it.
"""

from __future__ import annotations

import json
import random
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from equimentor.core import audit, sealed
from equimentor.enrolment.models import Participant
from equimentor.evaluation.models import EvaluationSettings
from equimentor.relationships.models import Membership, Relationship
from equimentor.relationships.services.base import add_months
from equimentor.training import emails
from equimentor.training.models import (
    MAX_CAPACITY,
    FeedbackInvitation,
    PendingFeedback,
    Registration,
    Series,
    Session,
    SessionFeedback,
)

Kind, Audience = Session.Kind, Session.Audience
MAX_LENGTH = timedelta(hours=12)
REPEATS = {"": None, "weekly": 7, "fortnightly": 14, "monthly": "month"}
MAX_OCCURRENCES = 12


class TrainingError(Exception):
    """A session or registration change that cannot be made, with a message for the person."""


@dataclass
class SessionPlan:
    """What the coordinator typed: local (naive) times in ``time_zone``."""

    title: str
    kind: str
    local_start: datetime
    local_end: datetime
    time_zone: str
    capacity: int
    description: str = ""
    audience: str = Audience.EVERYONE
    online_link: str = ""
    place: str = ""
    local_deadline: datetime | None = None
    host_name: str = ""
    series_title: str = ""
    relationship_ids: list[int] = field(default_factory=list)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise TrainingError("Choose a time zone from the list.") from exc


def _utc(local: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return local.replace(tzinfo=tz).astimezone(UTC)


def _relationships(scheme, plan: SessionPlan) -> list[Relationship]:
    if plan.audience != Audience.RELATIONSHIPS:
        return []
    rels = list(
        Relationship.objects.filter(
            scheme=scheme, pk__in=plan.relationship_ids, state__in=Relationship.OPEN_STATES
        )
    )
    if not rels or len(rels) != len(set(plan.relationship_ids)):
        raise TrainingError("Choose the open relationships of this scheme whose members may come.")
    return rels


def _apply(session: Session, plan: SessionPlan, *, now: datetime) -> None:
    """Check the plan and set the session's fields from it (times in UTC)."""
    title = plan.title.strip()
    if not title:
        raise TrainingError("Give the session a title.")
    if plan.kind not in Kind.values:
        raise TrainingError("Choose what kind of session it is.")
    if plan.audience not in Audience.values:
        raise TrainingError("Choose who the session is for.")
    tz = _zone(plan.time_zone)
    starts, ends = _utc(plan.local_start, tz), _utc(plan.local_end, tz)
    if starts <= now:
        raise TrainingError("This session would start in the past. Choose a later time.")
    if ends <= starts:
        raise TrainingError("The session ends before it starts. Check the end time.")
    if ends - starts > MAX_LENGTH:
        raise TrainingError("A session lasts at most 12 hours.")
    if not 1 <= plan.capacity <= MAX_CAPACITY:
        raise TrainingError(f"A session has between 1 and {MAX_CAPACITY} places.")
    link, place = plan.online_link.strip(), plan.place.strip()
    if not link and not place:
        raise TrainingError("Give an online link, a place, or both.")
    deadline = _utc(plan.local_deadline, tz) if plan.local_deadline else None
    if deadline is not None:
        if deadline > starts:
            raise TrainingError("Registration must close before the session starts.")
        if deadline <= now:
            raise TrainingError("The registration deadline has already passed.")
    session.title = title
    session.description = plan.description.strip()
    session.kind = plan.kind
    session.audience = plan.audience
    session.starts_at, session.ends_at, session.time_zone = starts, ends, plan.time_zone
    session.capacity = plan.capacity
    session.online_link, session.place = link, place
    session.registration_deadline = deadline
    session.host_name = plan.host_name.strip()


def _series(scheme, title: str) -> Series | None:
    title = title.strip()
    if not title:
        return None
    series, _ = Series.objects.get_or_create(scheme=scheme, title=title[:120])
    return series


def _shift(local: datetime, repeat: str, n: int) -> datetime:
    step = REPEATS[repeat]
    if step == "month":
        return datetime.combine(add_months(local.date(), n), local.time())
    return local + timedelta(days=step * n)


@transaction.atomic
def schedule(
    scheme, plan: SessionPlan, *, actor, repeat: str = "", occurrences: int = 1
) -> list[Session]:
    """Schedule a session, or a series of them (``repeat`` weekly, fortnightly or monthly at the
    same local time, ``occurrences`` in all)."""
    if repeat not in REPEATS:
        raise TrainingError("Choose how often it repeats.")
    occurrences = occurrences if repeat else 1
    if not 1 <= occurrences <= MAX_OCCURRENCES:
        raise TrainingError(f"A series is scheduled up to {MAX_OCCURRENCES} sessions at a time.")
    if repeat and not plan.series_title.strip():
        plan.series_title = plan.title
    now = timezone.now()
    rels = _relationships(scheme, plan)
    series = _series(scheme, plan.series_title)
    made = []
    for n in range(occurrences):
        step = SessionPlan(
            **{
                **plan.__dict__,
                "local_start": _shift(plan.local_start, repeat, n) if n else plan.local_start,
                "local_end": _shift(plan.local_end, repeat, n) if n else plan.local_end,
                "local_deadline": (
                    _shift(plan.local_deadline, repeat, n)
                    if n and plan.local_deadline
                    else plan.local_deadline
                ),
            }
        )
        session = Session(scheme=scheme, series=series, created_by=actor)
        _apply(session, step, now=now)
        session.save()
        if rels:
            session.relationships.set(rels)
        audit.record(
            "training.session.scheduled",
            session,
            actor=actor,
            scheme=scheme,
            kind=session.kind,
            audience=session.audience,
            capacity=session.capacity,
            series_id=series.pk if series else None,
        )
        made.append(session)
    return made


def _lock(session: Session) -> Session:
    """The session's row, locked for this transaction (every registration change takes it)."""
    return (
        Session.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=session.pk)
    )


def _active(session: Session):
    return (
        Registration.objects.filter(session=session, status__in=Registration.ACTIVE)
        .select_related("participant__user")
        .order_by("status", "queued_at", "id")
    )


def _confirmed_count(session: Session) -> int:
    return Registration.objects.filter(
        session=session, status=Registration.Status.CONFIRMED
    ).count()


def _move(reg: Registration, session: Session, status: str, event: str, *, actor, now, **details):
    """Move a registration of the (locked) session to ``status`` at ``now``: a place given from
    the waiting list (``confirmed_at``), or given up or ended (``cancelled_at``). Its invitation's
    sequence moves on, so calendars take the change, and it is audited (``_record``)."""
    stamp = "confirmed_at" if status == Registration.Status.CONFIRMED else "cancelled_at"
    reg.status = status
    setattr(reg, stamp, now)
    reg.sequence += 1
    reg.save(update_fields=["status", stamp, "sequence"])
    _record(reg, session, event, actor=actor, **details)


def _record(reg: Registration, session: Session, event: str, *, actor, **details) -> None:
    """Audit ``training.registration.<event>`` for a registration of the (locked) session, with
    the session and ``details``; the registration keeps the session for its email."""
    reg.session = session
    audit.record(
        f"training.registration.{event}",
        reg,
        actor=actor,
        scheme=session.scheme,
        session_id=session.pk,
        **details,
    )


def _promote(session: Session, *, actor, now: datetime) -> list[Registration]:
    """Give free places to the waiting list in the order people joined it (session locked)."""
    if session.is_cancelled or session.starts_at <= now:
        return []
    free = session.capacity - _confirmed_count(session)
    if free <= 0:
        return []
    queue = list(
        Registration.objects.filter(session=session, status=Registration.Status.WAITLISTED)
        .select_related("participant__user")
        .order_by("queued_at", "id")[:free]
    )
    for reg in queue:
        _move(reg, session, Registration.Status.CONFIRMED, "promoted", actor=actor, now=now)
        emails.promoted(reg)
    return queue


@transaction.atomic
def update(session: Session, plan: SessionPlan, *, actor) -> Session:
    """Change a session that has not started. A new time, place or link sends everyone registered
    an updated invitation; more places promote the waiting list; fewer than are taken is refused."""
    session = _lock(session)
    now = timezone.now()
    if session.is_cancelled:
        raise TrainingError("This session was cancelled; schedule a new one instead.")
    if session.starts_at <= now:
        raise TrainingError("This session has started, so it can no longer be changed.")
    before = (session.starts_at, session.ends_at, session.time_zone, session.online_link)
    before += (session.place,)
    rels = _relationships(session.scheme, plan)
    _apply(session, plan, now=now)
    taken = _confirmed_count(session)
    if session.capacity < taken:
        raise TrainingError(
            f"{taken} people hold places, so the session needs at least {taken} places."
        )
    after = (session.starts_at, session.ends_at, session.time_zone, session.online_link)
    after += (session.place,)
    moved = before != after
    if moved:
        session.sequence += 1
    session.series = _series(session.scheme, plan.series_title)
    session.save()
    session.relationships.set(rels)
    audit.record(
        "training.session.updated",
        session,
        actor=actor,
        scheme=session.scheme,
        moved=moved,
        capacity=session.capacity,
        sequence=session.sequence,
    )
    promoted = {r.pk for r in _promote(session, actor=actor, now=now)}
    if moved:
        told = [r for r in _active(session) if r.pk not in promoted]
        for reg in told:
            reg.session = session
        emails.session_changed(session, told)
    return session


@transaction.atomic
def cancel_session(session: Session, *, actor) -> Session:
    """Cancel a session that has not ended: everyone registered is told, and places get a
    calendar cancellation."""
    session = _lock(session)
    if session.is_cancelled:
        raise TrainingError("This session is already cancelled.")
    now = timezone.now()
    if session.ends_at <= now:
        raise TrainingError("This session has already taken place.")
    session.status = Session.Status.CANCELLED
    session.cancelled_at = now
    session.sequence += 1
    session.save(update_fields=["status", "cancelled_at", "sequence"])
    told = list(_active(session))
    audit.record(
        "training.session.cancelled",
        session,
        actor=actor,
        scheme=session.scheme,
        registrations=len(told),
    )
    for reg in told:
        reg.session = session
    emails.session_cancelled(session, told)
    return session


# -- who may register -------------------------------------------------------------------------------


def audience_filter(participant: Participant) -> Q:
    """Sessions of the participant's scheme whose audience includes them (a queryset filter)."""
    q = Q(audience=Audience.EVERYONE)
    if participant.is_mentor:
        q |= Q(audience=Audience.MENTORS)
    if participant.is_mentee:
        q |= Q(audience=Audience.MENTEES)
    rels = Membership.objects.filter(participant=participant, left_at__isnull=True).values(
        "relationship_id"
    )
    q |= Q(audience=Audience.RELATIONSHIPS, relationships__in=rels)
    return Q(scheme=participant.scheme_id) & q


def in_audience(session: Session, participant: Participant) -> bool:
    return Session.objects.filter(pk=session.pk).filter(audience_filter(participant)).exists()


def may_take_part(session: Session, participant: Participant) -> bool:
    """Approved participants; anyone still registered for an information session."""
    if participant.scheme_id != session.scheme_id or not participant.is_active:
        return False
    if session.kind == Kind.INFORMATION:
        return True
    return participant.status == Participant.Status.APPROVED


def closed_reason(session: Session, now: datetime | None = None) -> str:
    """Why registration is closed, or "" while it is open."""
    now = now or timezone.now()
    if session.is_cancelled:
        return "This session was cancelled."
    if session.starts_at <= now:
        return "This session has started; registration is closed."
    if session.registration_deadline and session.registration_deadline <= now:
        return "Registration for this session has closed."
    return ""


# -- registration ----------------------------------------------------------------------------------


def waitlist_position(reg: Registration) -> int:
    return (
        Registration.objects.filter(
            Q(queued_at__lt=reg.queued_at) | Q(queued_at=reg.queued_at, id__lt=reg.pk),
            session_id=reg.session_id,
            status=Registration.Status.WAITLISTED,
        ).count()
        + 1
    )


@transaction.atomic
def register(session: Session, participant: Participant, *, actor) -> Registration:
    """Take a place, or join the waiting list when the session is full."""
    session = _lock(session)
    now = timezone.now()
    reason = closed_reason(session, now)
    if reason:
        raise TrainingError(reason)
    if not may_take_part(session, participant) or not in_audience(session, participant):
        raise TrainingError("This session is not open to you.")
    reg = (
        Registration.objects.select_for_update()
        .filter(session=session, participant=participant)
        .first()
    )
    if reg is not None and reg.is_active:
        raise TrainingError(
            "You already have a place at this session."
            if reg.status == Registration.Status.CONFIRMED
            else "You are already on the waiting list for this session."
        )
    full = _confirmed_count(session) >= session.capacity
    if reg is None:
        reg = Registration(session=session, participant=participant)
    else:
        reg.sequence += 1
    reg.status = Registration.Status.WAITLISTED if full else Registration.Status.CONFIRMED
    reg.registered_at = now
    reg.queued_at = now if full else None
    reg.confirmed_at = None if full else now
    reg.cancelled_at = None
    reg.save()
    reg.participant = participant
    _record(reg, session, reg.status, actor=actor)
    if full:
        emails.waitlisted(reg, waitlist_position(reg))
    else:
        emails.registered(reg)
    return reg


@transaction.atomic
def cancel_registration(reg: Registration, *, actor) -> Registration:
    """Give up a place (the first on the waiting list gets it) or leave the waiting list."""
    session = _lock(reg.session)
    reg = Registration.objects.select_related("participant__user").get(pk=reg.pk)
    if not reg.is_active:
        raise TrainingError("You are not registered for this session.")
    now = timezone.now()
    if session.starts_at <= now and not session.is_cancelled:
        raise TrainingError("This session has started, so your registration can no longer change.")
    had_place = reg.status == Registration.Status.CONFIRMED
    _move(
        reg,
        session,
        Registration.Status.CANCELLED,
        "cancelled",
        actor=actor,
        now=now,
        had_place=had_place,
    )
    emails.registration_cancelled(reg, had_place=had_place)
    if had_place:
        _promote(session, actor=actor, now=now)
    return reg


@transaction.atomic
def end_registrations(participant: Participant, *, actor, notify: bool = True) -> int:
    """A participant who withdraws from the scheme gives up every session still to come; their
    places go to the waiting lists. Past sessions (and attendance) stay as they were. They are
    emailed calendar cancellations unless ``notify`` is false (erasure)."""
    now = timezone.now()
    ids = list(
        Registration.objects.filter(
            participant=participant,
            status__in=Registration.ACTIVE,
            session__status=Session.Status.SCHEDULED,
            session__starts_at__gt=now,
        )
        .order_by("session_id")
        .values_list("pk", flat=True)
    )
    ended = []
    for pk in ids:
        reg = Registration.objects.select_related("session").get(pk=pk)
        session = _lock(reg.session)
        reg = Registration.objects.get(pk=pk)
        if not reg.is_active:
            continue
        reg.had_place = reg.status == Registration.Status.CONFIRMED
        _move(
            reg,
            session,
            Registration.Status.ENDED,
            "ended",
            actor=actor,
            now=now,
            had_place=reg.had_place,
        )
        if reg.had_place:
            _promote(session, actor=actor, now=now)
        ended.append(reg)
    if ended and notify:
        emails.registrations_ended(participant, ended)
    return len(ended)


# -- attendance and feedback ---------------------------------------------------------------------

FEEDBACK_OPEN_DAYS = 28


@transaction.atomic
def record_attendance(session: Session, attended: set[int], *, actor) -> dict[str, int]:
    """Record who came (``attended``: registration ids among the places). May be corrected.

    Attendance is seen only by the coordinator and each person; the audit trail keeps counts.
    Everyone who came is asked once for anonymous feedback; an unanswered request to someone
    since marked absent is withdrawn.
    """
    session = _lock(session)
    now = timezone.now()
    if session.is_cancelled:
        raise TrainingError("This session was cancelled.")
    if session.starts_at > now:
        raise TrainingError("Attendance is recorded once the session has started.")
    places = list(
        Registration.objects.filter(session=session, status=Registration.Status.CONFIRMED)
        .select_related("participant__user")
        .order_by("id")
    )
    unknown = set(attended) - {r.pk for r in places}
    if unknown:
        raise TrainingError("Only people with a place can be marked as attending.")
    for reg in places:
        reg.attended = reg.pk in attended
    Registration.objects.bulk_update(places, ["attended"])
    session.attendance_recorded_at = now
    session.save(update_fields=["attendance_recorded_at"])
    FeedbackInvitation.objects.filter(
        registration__in=[r for r in places if not r.attended], has_responded=False
    ).delete()
    asked = set(
        FeedbackInvitation.objects.filter(registration__in=places).values_list(
            "registration_id", flat=True
        )
    )
    closes = timezone.localdate() + timedelta(days=FEEDBACK_OPEN_DAYS)
    new = [
        FeedbackInvitation(registration=r, sent_at=now, closes_on=closes)
        for r in places
        if r.attended and r.pk not in asked
    ]
    FeedbackInvitation.objects.bulk_create(new)
    for reg in places:
        reg.session = session
    for inv in new:
        emails.feedback_request(inv.registration)
    came = sum(1 for r in places if r.attended)
    audit.record(
        "training.attendance.recorded",
        session,
        actor=actor,
        scheme=session.scheme,
        places=len(places),
        attended=came,
    )
    return {"places": len(places), "attended": came, "asked": len(new)}


def _role(participant: Participant) -> str:
    if participant.is_mentor and participant.is_mentee:
        return SessionFeedback.Role.BOTH
    return SessionFeedback.Role.MENTOR if participant.is_mentor else SessionFeedback.Role.MENTEE


SEAL = {"salt": b"equimentor.training", "info": b"pending-feedback"}


@transaction.atomic
def submit_feedback(invitation: FeedbackInvitation, *, usefulness: int, would_recommend: bool):
    """Mark the request answered and keep the two answers sealed until they are stored with
    others (``store_pending_feedback``): stored here, they would share this transaction (and its
    time and place in the tables) with the request's flag. Nothing is audited per answer.
    Returns nothing on purpose: the caller is never handed what is stored."""
    inv = (
        FeedbackInvitation.objects.select_for_update(of=("self",))
        .select_related("registration__session__scheme", "registration__participant")
        .get(pk=invitation.pk)
    )
    if inv.has_responded:
        raise TrainingError("You have already given feedback on this session. Thank you.")
    if timezone.localdate() > inv.closes_on:
        raise TrainingError("Feedback on this session has closed.")
    if not 1 <= usefulness <= 5:
        raise TrainingError("Choose from 1 to 5.")
    session = inv.registration.session
    plain = json.dumps(
        {
            "role": _role(inv.registration.participant),
            "usefulness": usefulness,
            "would_recommend": bool(would_recommend),
        }
    )
    PendingFeedback.objects.create(session=session, sealed=sealed.seal(plain.encode(), **SEAL))
    inv.has_responded = True
    inv.save(update_fields=["has_responded"])
    session_id = session.pk
    transaction.on_commit(lambda: _store_later(session_id), robust=True)


def _store_later(session_id: int) -> None:
    from equimentor.training import tasks

    tasks.store_feedback.enqueue(session_id)


def _feedback_batch_due(session_id: int, waiting: int, k: int) -> bool:
    """Once ``k`` answers wait, or once nobody else can still answer."""
    if waiting >= k:
        return True
    return not FeedbackInvitation.objects.filter(
        registration__session_id=session_id,
        has_responded=False,
        closes_on__gte=timezone.localdate(),
    ).exists()


def store_pending_feedback(session_id: int | None = None) -> int:
    """Store the answers waiting for each session whose batch is due; how many were stored.
    Each batch is a transaction of its own: rows made in random order (with random keys), the
    month of storing their only date, and one audit event counting them. Safe to run any time."""

    sessions = PendingFeedback.objects.values_list("session_id", flat=True).distinct()
    if session_id is not None:
        sessions = sessions.filter(session_id=session_id)
    stored = 0
    shuffle = random.SystemRandom().shuffle
    for sid in sorted(set(sessions)):
        with transaction.atomic():
            waiting = list(PendingFeedback.objects.select_for_update().filter(session_id=sid))
            if not waiting:
                continue
            session = Session.objects.select_related("scheme").get(pk=sid)
            k = EvaluationSettings.for_scheme(session.scheme).k
            if not _feedback_batch_due(sid, len(waiting), k):
                continue
            shuffle(waiting)
            month = timezone.localdate().replace(day=1)
            for pending in waiting:
                values = json.loads(sealed.unseal(pending.sealed, **SEAL))
                SessionFeedback.objects.create(
                    session=session,
                    role=values["role"],
                    month=month,
                    usefulness=values["usefulness"],
                    would_recommend=values["would_recommend"],
                )
            PendingFeedback.objects.filter(pk__in=[p.pk for p in waiting]).delete()
            audit.record(
                "training.feedback.stored", session, scheme=session.scheme, count=len(waiting)
            )
            stored += len(waiting)
    return stored
