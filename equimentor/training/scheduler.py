"""The periodic job ``training.reminders``: each confirmed place is reminded the day before, and
session feedback still waiting to be stored is stored once its batch is due.

A place confirmed less than a day before the start is not reminded (its confirmation is fresh).
Each reminder is claimed with ``jobs.once`` under the session's start time, so a session moved to
another day is reminded again and nothing is sent twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from equimentor.core import jobs
from equimentor.training import emails, services
from equimentor.training.models import Registration, Session

AHEAD = timedelta(hours=24)


def run(now=None) -> dict[str, int]:
    now = now or timezone.now()
    due = (
        Registration.objects.filter(
            status=Registration.Status.CONFIRMED,
            session__status=Session.Status.SCHEDULED,
            session__starts_at__gt=now,
            session__starts_at__lte=now + AHEAD,
            confirmed_at__lte=F("session__starts_at") - AHEAD,
        )
        .select_related("session__scheme", "participant__user")
        .order_by("session__starts_at", "id")
    )
    sent = 0
    for reg in due:
        with transaction.atomic():
            if jobs.once(f"training.reminder:{reg.pk}:{reg.session.starts_at:%Y%m%dT%H%M}"):
                emails.reminder(reg)
                sent += 1
    # feedback still waiting once nobody else can answer (a request closed) is stored now
    return {"reminders": sent, "feedback_stored": services.store_pending_feedback()}
