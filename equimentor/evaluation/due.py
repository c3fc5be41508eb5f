"""Who is due which questionnaire, and when: read only, shared by the tick (``scheduler``), the
coordinator's "Send now" (``services.send_due``) and the schedule page.

A participant is due a questionnaire in a role from the start of their first relationship in that
role: the baseline ``baseline_delay_days`` after it (and no later than ``open_days`` after that:
someone who joined before the evaluation began is not sent a baseline months late), the follow-up
``followup_months`` after it. Only approved participants who consented to the evaluation are due;
an invitation is sent once per participant, questionnaire code and role.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q

from equimentor.enrolment.models import Consent, Participant
from equimentor.evaluation.models import EvaluationSettings, Invitation, Questionnaire, Wave
from equimentor.relationships.models import Membership

SIDES = {"mentor": ("mentor",), "mentee": ("mentee",), "peer": ("mentor", "mentee")}


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Start:
    """The start of a participant's first relationship in a role."""

    participant: Participant
    role: str
    started_at: datetime
    consented: bool


@dataclass(frozen=True)
class Due:
    participant: Participant
    role: str
    due_at: datetime
    #: the last moment a baseline may still go (None: a follow-up goes whenever it is due)
    last_at: datetime | None

    def sendable(self, now: datetime) -> bool:
        return self.due_at <= now and not self.missed(now)

    def missed(self, now: datetime) -> bool:
        return self.last_at is not None and now > self.last_at


def first_starts(scheme=None) -> list[Start]:
    """For each (participant, role) of approved participants: their first relationship's start,
    and whether they consent to the evaluation (one query)."""
    consented = Consent.objects.filter(
        participant=OuterRef("participant"),
        purpose=Consent.Purpose.EVALUATION,
        withdrawn_at__isnull=True,
    )
    rows = (
        Membership.objects.filter(participant__status="approved")
        .annotate(consented=Exists(consented))
        .select_related("relationship", "participant__user", "participant__scheme")
        .order_by("relationship__started_at", "id")
    )
    if scheme is not None:
        rows = rows.filter(participant__scheme=scheme)
    seen: dict[tuple[int, str], Start] = {}
    for m in rows:
        if m.relationship.started_at is None:
            continue
        for role in SIDES.get(m.side, ()):
            key = (m.participant_id, role)
            if key not in seen:
                seen[key] = Start(m.participant, role, m.relationship.started_at, m.consented)
    return list(seen.values())


def due_at(questionnaire: Questionnaire, conf: EvaluationSettings, started: datetime) -> Due:
    """When ``questionnaire`` is due for someone who started on ``started`` (participant unset)."""
    if questionnaire.wave == Wave.BASELINE:
        at = started + timedelta(days=conf.baseline_delay_days)
        return Due(None, "", at, at + timedelta(days=conf.open_days))
    return Due(None, "", add_months(started, conf.followup_months), None)


def sent_keys(scheme=None) -> set[tuple[int, str, str]]:
    """(participant, questionnaire code, role) of every invitation already sent."""
    rows = Invitation.objects.all()
    if scheme is not None:
        rows = rows.filter(questionnaire__scheme=scheme)
    return set(rows.values_list("participant_id", "code", "role"))


def pending(
    questionnaire: Questionnaire,
    conf: EvaluationSettings,
    starts: list[Start],
    sent: set[tuple[int, str, str]],
) -> list[Due]:
    """Everyone of ``starts`` in the questionnaire's scheme who consented and has not been sent
    it, with when it is (or was) due; earliest first."""
    out = []
    for start in starts:
        participant = start.participant
        if participant.scheme_id != questionnaire.scheme_id or not start.consented:
            continue
        if (participant.pk, questionnaire.code, start.role) in sent:
            continue
        when = due_at(questionnaire, conf, start.started_at)
        out.append(Due(participant, start.role, when.due_at, when.last_at))
    out.sort(key=lambda d: (d.due_at, d.participant.pk, d.role))
    return out


@dataclass(frozen=True)
class Schedule:
    """One questionnaire's sending as the coordinator sees it at ``now``."""

    questionnaire: Questionnaire
    due_now: list[Due]
    upcoming: list[Due]
    missed: int
    not_consented: int


def schedule(questionnaire: Questionnaire, now: datetime) -> Schedule:
    conf = EvaluationSettings.for_scheme(questionnaire.scheme)
    starts = first_starts(questionnaire.scheme)
    sent = sent_keys(questionnaire.scheme)
    rows = pending(questionnaire, conf, starts, sent)
    not_consented = sum(
        1
        for s in starts
        if not s.consented and (s.participant.pk, questionnaire.code, s.role) not in sent
    )
    return Schedule(
        questionnaire=questionnaire,
        due_now=[d for d in rows if d.sendable(now)],
        upcoming=[d for d in rows if d.due_at > now],
        missed=sum(1 for d in rows if d.missed(now)),
        not_consented=not_consented,
    )


@dataclass(frozen=True)
class Sent:
    """Invitations of one questionnaire code and role, as the coordinator may see them."""

    sent: int
    answered: int
    still_open: int


def invitation_counts(scheme, today) -> dict[tuple[str, str], Sent]:
    """(code, role) -> invitations sent, answered and still open to answer (one query)."""
    rows = (
        Invitation.objects.filter(questionnaire__scheme=scheme)
        .values("code", "role")
        .annotate(
            sent=Count("id"),
            answered=Count("id", filter=Q(has_responded=True)),
            still_open=Count("id", filter=Q(closes_on__gte=today)),
        )
    )
    return {(r["code"], r["role"]): Sent(r["sent"], r["answered"], r["still_open"]) for r in rows}
