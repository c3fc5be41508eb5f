"""Evaluation sends for ``equimentor tick``: baselines when a first match is accepted,
follow-ups some months after mentoring starts, reminders until the closing date; and answers
still waiting to be stored once nobody else can answer (``services.store_pending``).

Idempotent: an invitation is unique per participant, questionnaire and role, so running twice
sends nothing twice; reminders go only when the last send is old enough.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import datetime, timedelta

from django.utils import timezone

from equimentor.evaluation import services
from equimentor.evaluation.models import EvaluationSettings, Invitation, Wave
from equimentor.relationships.models import Membership

SIDES = {"mentor": ("mentor",), "mentee": ("mentee",), "peer": ("mentor", "mentee")}


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _first_starts() -> dict[tuple[int, str], tuple]:
    """For each (participant, role): the start of their first relationship in that role."""
    first: dict[tuple[int, str], tuple] = {}
    rows = (
        Membership.objects.filter(participant__status="approved")
        .select_related("relationship", "participant__user", "participant__scheme")
        .order_by("relationship__started_at", "id")
    )
    for m in rows:
        for role in SIDES.get(m.side, ()):
            first.setdefault((m.participant_id, role), (m.relationship.started_at, m.participant))
    return first


def run(now: datetime | None = None) -> dict:
    """Send whatever is due at ``now``. Returns counts by kind."""
    now = now or timezone.now()
    done: Counter = Counter()
    confs: dict[int, EvaluationSettings] = {}
    questionnaires: dict[int, list] = {}
    # who already has which invitation: one query, not one per person and questionnaire
    sent = set(Invitation.objects.values_list("participant_id", "code", "role"))
    for (pid, role), (started, participant) in _first_starts().items():
        scheme = participant.scheme
        if scheme.pk not in confs:
            confs[scheme.pk] = EvaluationSettings.for_scheme(scheme)
            questionnaires[scheme.pk] = [
                q for q in services.current_questionnaires(scheme) if q.is_active
            ]
        conf = confs[scheme.pk]
        due_at = {
            Wave.BASELINE: started + timedelta(days=conf.baseline_delay_days),
            Wave.MONTH_6: add_months(started, conf.followup_months),
        }
        for q in questionnaires[scheme.pk]:
            if now < due_at[q.wave]:
                continue
            if q.wave == Wave.BASELINE and now > due_at[q.wave] + timedelta(days=conf.open_days):
                continue  # joined before the evaluation began: too late for a baseline
            if (pid, q.code, role) in sent:
                continue
            if services.invite(q, participant, role, now=now, conf=conf):
                done[f"evaluation_{q.wave}"] += 1
    _reminders(now, done)
    # answers waiting for a batch whose questionnaire has since closed for everyone else
    stored = services.store_pending()
    if stored:
        done["evaluation_stored"] += stored
    return dict(done)


def _reminders(now, done) -> None:
    today = timezone.localdate(now)
    waiting = Invitation.objects.filter(has_responded=False, closes_on__gte=today).select_related(
        "questionnaire__scheme", "participant"
    )
    confs: dict[int, EvaluationSettings] = {}
    for inv in waiting:
        scheme = inv.questionnaire.scheme
        if scheme.pk not in confs:  # (setdefault would read the settings every time)
            confs[scheme.pk] = EvaluationSettings.for_scheme(scheme)
        conf = confs[scheme.pk]
        if inv.reminders_sent >= conf.max_reminders:
            continue
        last = inv.last_reminded_at or inv.sent_at
        if now - last < timedelta(days=conf.reminder_days):
            continue
        if services.remind(inv, now=now):
            done["evaluation_reminders"] += 1
