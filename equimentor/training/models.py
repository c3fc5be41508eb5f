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
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

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
    attended = models.BooleanField(
        null=True,
        blank=True,
        help_text="Recorded after the session; seen only by the coordinator and the person.",
    )
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


# -- the induction pack ------------------------------------------------------------------------------


class TrainingSettings(models.Model):
    """Per scheme: whether completing the induction pack's required items gates the directory,
    matching and ranking (neither, by default)."""

    scheme = models.OneToOneField(
        Scheme, on_delete=models.CASCADE, related_name="training_settings"
    )
    mentors_must_complete = models.BooleanField(
        "Mentors complete their required induction items before they are listed in the "
        "directory or proposed by matching",
        default=False,
    )
    mentees_must_complete = models.BooleanField(
        "Mentees complete their required induction items before they can rank mentors or be "
        "matched",
        default=False,
    )

    def __str__(self) -> str:
        return f"Training settings of {self.scheme}"

    @classmethod
    def for_scheme(cls, scheme: Scheme) -> TrainingSettings:
        return cls.objects.filter(scheme=scheme).first() or cls(scheme=scheme)


class InductionPack(models.Model):
    """One version of a scheme's induction pack. A draft is edited; publishing it makes it the
    current version, and the items it left unchanged stay done for everyone who did them."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="induction_packs")
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scheme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "version"], name="one_pack_version"),
            models.UniqueConstraint(
                fields=["scheme"],
                condition=models.Q(is_current=True),
                name="one_current_pack_per_scheme",
            ),
            models.UniqueConstraint(
                fields=["scheme"],
                condition=models.Q(published_at__isnull=True),
                name="one_draft_pack_per_scheme",
            ),
        ]

    def __str__(self) -> str:
        return f"Induction pack v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.published_at is None


class InductionItem(models.Model):
    class Kind(models.TextChoices):
        DOCUMENT = "document", "Document to read"
        LINK = "link", "Link to a resource"
        WEBINAR = "webinar", "Recorded webinar"
        QUESTION = "question", "Acknowledgement or quiz question"

    class Audience(models.TextChoices):
        BOTH = "both", "Mentors and mentees"
        MENTORS = "mentors", "Mentors"
        MENTEES = "mentees", "Mentees"

    pack = models.ForeignKey(InductionPack, on_delete=models.CASCADE, related_name="items")
    key = models.SlugField(
        max_length=60, help_text="Stays the same across versions: what was done stays done."
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(
        blank=True,
        help_text="A document's text (Markdown); what a link or webinar is for; the question.",
    )
    url = models.URLField(max_length=500, blank=True)
    options = models.JSONField(
        default=list,
        blank=True,
        help_text="A quiz question's answers; none for an acknowledgement.",
    )
    correct_option = models.PositiveSmallIntegerField(null=True, blank=True)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.BOTH)
    required = models.BooleanField(default=True)
    content_hash = models.CharField(
        max_length=64,
        help_text="Of what a person is asked to do (not its title or place in the pack): a new "
        "version asks again only for items whose hash changed.",
    )

    class Meta:
        ordering = ["pack", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="one_item_key_per_pack"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.content_hash = self.compute_hash()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_hash"}
        super().save(*args, **kwargs)

    def compute_hash(self) -> str:
        import hashlib
        import json

        payload = [
            self.kind,
            self.body.strip(),
            self.url.strip(),
            self.options,
            self.correct_option,
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()

    def is_for(self, participant) -> bool:
        return (
            self.audience == self.Audience.BOTH
            or (self.audience == self.Audience.MENTORS and participant.is_mentor)
            or (self.audience == self.Audience.MENTEES and participant.is_mentee)
        )


class ItemCompletion(models.Model):
    """A person did one item, as it read then (its key and content hash)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="induction_completions"
    )
    key = models.SlugField(max_length=60)
    content_hash = models.CharField(max_length=64)
    pack = models.ForeignKey(InductionPack, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "key", "content_hash"], name="one_completion_per_item"
            ),
        ]

    def __str__(self) -> str:
        return f"Induction item done {self.pk}"


# -- feedback after a session (anonymous) -----------------------------------------------------------


class FeedbackInvitation(models.Model):
    """An attendee is asked for feedback. Holds no answers and no time of answering: only whether
    they have responded, so they are not asked twice."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="feedback_invitation"
    )
    sent_at = models.DateTimeField()
    closes_on = models.DateField()
    has_responded = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Feedback invitation {self.pk}"


class SessionFeedback(models.Model):
    """One anonymous answer to the two questions. No link to a person, a registration, an
    invitation or an exact time; its key is random, and only the month it was stored is kept.
    Written only by ``services.store_pending_feedback``, in batches (see :class:`PendingFeedback`)."""

    class Role(models.TextChoices):
        MENTEE = "mentee", "Mentee"
        MENTOR = "mentor", "Mentor"
        BOTH = "both", "Mentor and mentee"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="feedback")
    role = models.CharField(max_length=10, choices=Role.choices)
    month = models.DateField(help_text="First day of the month it arrived (no finer).")
    usefulness = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    would_recommend = models.BooleanField()

    class Meta:
        ordering = ["id"]  # random order: never the order of arrival
        verbose_name_plural = "session feedback"

    def __str__(self) -> str:
        return "Anonymous session feedback"


class PendingFeedback(models.Model):
    """Answers given but not yet stored: sealed (``core.sealed``), with no link to a person, a
    registration or an invitation, and no time. ``services.store_pending_feedback`` moves them into
    :class:`SessionFeedback` rows in batches of at least the scheme's threshold, in random order
    and in a transaction of their own, as evaluation answers are (docs/security.md)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="pending_feedback")
    sealed = models.TextField()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "pending feedback"

    def __str__(self) -> str:
        return "Sealed session feedback"
