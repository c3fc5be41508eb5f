"""Training, peer-support, social and information sessions, and who registered for them.

Times are stored in UTC with the zone the session was arranged in. A registration holds a place
(``confirmed``) or a place in the queue (``waitlisted``, promoted in the order people joined it);
the number of confirmed registrations never exceeds the capacity, because every change locks the
session's row first.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme

MAX_CAPACITY = 500


class Series(models.Model):
    """Sessions that belong together, e.g. a monthly peer circle."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="session_series")
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "series"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "title"], name="one_series_title_per_scheme")
        ]

    def __str__(self) -> str:
        return self.title


class Session(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training"
        PEER_SUPPORT = "peer_support", "Peer support"
        SOCIAL = "social", "Social"
        INFORMATION = "information", "Information"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone in the scheme"
        MENTORS = "mentors", "Mentors"
        MENTEES = "mentees", "Mentees"
        RELATIONSHIPS = "relationships", "Members of chosen relationships"

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="sessions")
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="sessions"
    )
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.EVERYONE)
    relationships = models.ManyToManyField(
        "relationships.Relationship",
        blank=True,
        related_name="sessions",
        help_text="For the audience 'members of chosen relationships'.",
    )
    starts_at = models.DateTimeField(help_text="Stored in UTC.")
    ends_at = models.DateTimeField(help_text="Stored in UTC.")
    time_zone = models.CharField(max_length=64, help_text="The zone it was arranged in.")
    online_link = models.URLField(max_length=500, blank=True)
    place = models.CharField(max_length=200, blank=True)
    capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    registration_deadline = models.DateTimeField(
        null=True, blank=True, help_text="Stored in UTC; none means until the start."
    )
    host_name = models.CharField(
        max_length=200, blank=True, help_text="Who leads it, as participants will see it."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.SCHEDULED, db_index=True
    )
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["scheme", "status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="session_has_a_place"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def closes_at(self):
        """When registration closes: the deadline, or the start."""
        return self.registration_deadline or self.starts_at

    @property
    def is_confidential(self) -> bool:
        """Peer support: no notes are kept, attendance is seen by the coordinator and the person."""
        return self.kind == self.Kind.PEER_SUPPORT


class Registration(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Place confirmed"
        WAITLISTED = "waitlisted", "On the waiting list"
        CANCELLED = "cancelled", "Cancelled"
        ENDED = "ended", "Ended: left the scheme"

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="registrations")
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="session_registrations"
    )
    status = models.CharField(max_length=20, choices=Status.choices, db_index=True)
    registered_at = models.DateTimeField()
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When they joined the waiting list (its order)."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(
        default=0,
        help_text="Raised by each change to this person's place; added to the session's sequence "
        "in their calendar files, so a calendar always takes the newest.",
    )

    class Meta:
        ordering = ["session", "registered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="one_registration_per_session"
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status", "queued_at"]),
            models.Index(fields=["participant", "status"]),
        ]

    def __str__(self) -> str:
        return f"Registration {self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class CalendarFeed(models.Model):
    """A person's private calendar subscription: their meetings and sessions at a secret address.

    Only the token's hash is kept: the address is shown once, when it is made; making a new one or
    revoking it stops the old one at once.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed {self.pk}"
