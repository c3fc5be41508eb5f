"""Reminders from the "needs attention" overview: each person reminded once per kind within
``NUDGE_GAP`` (the rest are skipped and counted), each reminder one Nudge row, one audit event
and one email sent after commit."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from equimentor.backoffice import attention, emails
from equimentor.backoffice.models import Nudge
from equimentor.core import audit

SEND = {
    Nudge.Kind.PROPOSAL_REPLY: emails.remind_proposal_reply,
    Nudge.Kind.RANK_CHOICES: emails.remind_rank_choices,
    Nudge.Kind.MEET_AGAIN: emails.remind_meet_again,
}


@dataclass
class Reminded:
    sent: int
    skipped: int  # reminded of the same thing within NUDGE_GAP


def plan(scheme, kind: str, now=None) -> Reminded:
    """How many a reminder of ``kind`` would reach now, and how many it would skip."""
    now = now or timezone.now()
    people = attention.recipients(scheme, kind, now)
    recent = attention.recently_reminded(scheme, kind, [p for p, _ in people], now)
    return Reminded(sent=len(people) - len(recent), skipped=len(recent))


@transaction.atomic
def remind(scheme, kind: str, *, actor, now=None) -> Reminded:
    """Remind everyone ``kind`` concerns who was not reminded of it within ``NUDGE_GAP``."""
    if kind not in SEND:
        raise ValueError(f"No such reminder: {kind}")
    now = now or timezone.now()
    people = attention.recipients(scheme, kind, now)
    recent = attention.recently_reminded(scheme, kind, [p for p, _ in people], now)
    sent = 0
    for person, about in people:
        if person.pk in recent:
            continue
        nudge = Nudge.objects.create(
            scheme=scheme, participant=person, kind=kind, sent_at=now, sent_by=actor
        )
        audit.record(
            "backoffice.reminder.sent",
            nudge,
            actor=actor,
            scheme=scheme,
            kind=kind,
            participant_id=person.pk,
        )
        SEND[kind](person, about, key=f"nudge-{nudge.pk}")
        sent += 1
    return Reminded(sent=sent, skipped=len(recent))
