"""Evaluation sends for ``equimentor tick``: baselines when a first match is accepted,
follow-ups some months after mentoring starts, reminders until the closing date; and answers
still waiting to be stored once nobody else can answer (``services.store_pending``).

Idempotent: an invitation is unique per participant, questionnaire and role, so running twice
sends nothing twice; reminders go only when the last send is old enough.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from equimentor.evaluation import due, services
from equimentor.evaluation.models import EvaluationSettings, Invitation, Questionnaire


def run(now: datetime | None = None) -> dict:
    """Send whatever is due at ``now``. Returns counts by kind. Questionnaires on hold send
    nothing, reminders included."""
    now = now or timezone.now()
    done: Counter = Counter()
    starts_by_scheme: dict[int, list[due.Start]] = defaultdict(list)
    for start in due.first_starts():
        starts_by_scheme[start.participant.scheme_id].append(start)
    # who already has which invitation: one query, not one per person and questionnaire
    sent = due.sent_keys()
    for starts in starts_by_scheme.values():
        scheme = starts[0].participant.scheme
        conf = EvaluationSettings.for_scheme(scheme)
        for q in services.current_questionnaires(scheme):
            if not q.is_active:
                continue
            for d in due.pending(q, conf, starts, sent):
                if d.sendable(now) and services.invite(
                    q, d.participant, d.role, now=now, conf=conf
                ):
                    done[f"evaluation_{q.wave}"] += 1
    _reminders(now, done)
    # answers waiting for a batch whose questionnaire has since closed for everyone else
    stored = services.store_pending()
    if stored:
        done["evaluation_stored"] += stored
    return dict(done)


def _reminders(now, done) -> None:
    today = timezone.localdate(now)
    # a questionnaire is sent while one of its versions (always the newest) is; on hold, none is
    sending = Questionnaire.objects.filter(
        scheme=OuterRef("questionnaire__scheme"), code=OuterRef("code"), is_active=True
    )
    waiting = (
        Invitation.objects.filter(has_responded=False, closes_on__gte=today)
        .filter(Exists(sending))
        .select_related("questionnaire__scheme", "participant")
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
