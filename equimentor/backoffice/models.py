"""Reminders a coordinator sends from the "needs attention" overview: one row per person
reminded, so that nobody is reminded of the same thing twice within ``NUDGE_GAP``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme

NUDGE_GAP = timedelta(days=7)


class Nudge(models.Model):
    class Kind(models.TextChoices):
        PROPOSAL_REPLY = "proposal_reply", "Reply to a proposed match"
        RANK_CHOICES = "rank_choices", "Rank mentors while choices are open"
        MEET_AGAIN = "meet_again", "Meet again"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["participant", "kind", "sent_at"])]

    def __str__(self) -> str:
        return f"Nudge {self.pk}"
