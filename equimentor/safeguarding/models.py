"""Concerns, the cases that handle them, their log, and the blocks and suspensions they lead to.

A case is reachable only through ``safeguarding.access.get_case_for_lead`` (leads of the scheme who
are not excluded from it) and, for its reporter, ``get_case_for_reporter`` / ``get_case_by_key``.
An anonymous case keeps no user, IP address or browser details: only a hashed key and passphrase.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme

ACKNOWLEDGE_DAYS = 7
FEEDBACK_DAYS = 91  # three months


class ContactRoute(models.Model):
    """One of the scheme's institutional routes a lead can signpost to (HR, Title IX, FTSU...)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="contact_routes")
    name = models.CharField("Route", max_length=120, help_text="e.g. HR, Title IX office.")
    details = models.TextField(
        "How to reach it", help_text="Email, telephone, web page or office; shown to the reporter."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["scheme", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    class Category(models.TextChoices):
        SEXUAL_HARASSMENT = "sexual_harassment", "Sexual harassment"
        HARASSMENT = "harassment", "Other harassment or bullying"
        DISCRIMINATION = "discrimination", "Discrimination"
        BOUNDARIES = "boundaries", "Boundaries"
        WELLBEING = "wellbeing", "Wellbeing"
        OTHER = "other", "Other"

    class Wants(models.TextChoices):
        RECORD = "record", "Just record it"
        TALK = "talk", "Talk to someone"
        ACTION = "action", "Take action"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        ASSESSING = "assessing", "Assessing"
        ACTION_TAKEN = "action_taken", "Action taken"
        CLOSED = "closed", "Closed"

    ORDER = [s.value for s in Status]

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty for an anonymous concern.",
    )
    is_anonymous = models.BooleanField(default=False)
    key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    passphrase_hash = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    what_happened = models.TextField()
    wants = models.CharField(max_length=10, choices=Wants.choices)
    relationship = models.ForeignKey(
        "relationships.Relationship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person the concern is about, if named.",
    )
    excluded = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="People who must never see this case: its subject and the relationship's members.",
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    received_on = models.DateField(default=timezone.localdate)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"Case {self.pk}"

    @property
    def acknowledge_by(self):
        return self.received_on + timedelta(days=ACKNOWLEDGE_DAYS)

    @property
    def feedback_by(self):
        return self.received_on + timedelta(days=FEEDBACK_DAYS)

    @property
    def overdue(self) -> list[str]:
        today = timezone.localdate()
        late = []
        if self.acknowledged_at is None and today > self.acknowledge_by:
            late.append("acknowledgement")
        if (
            self.feedback_at is None
            and self.status != self.Status.CLOSED
            and today > self.feedback_by
        ):
            late.append("feedback")
        return late

    @property
    def quarter(self) -> str:
        return f"{self.received_on.year} Q{(self.received_on.month - 1) // 3 + 1}"


class CaseEntry(models.Model):
    """The case log: notes (leads only), messages both ways, status changes and actions."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        FROM_REPORTER = "from_reporter", "Message from the reporter"
        TO_REPORTER = "to_reporter", "Message to the reporter"
        STATUS = "status", "Status changed"
        ACTION = "action", "Action"

    VISIBLE_TO_REPORTER = (Kind.FROM_REPORTER, Kind.TO_REPORTER)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Case entry {self.pk}"


class CaseAccess(models.Model):
    """Every view and export of a case. Only a superuser can read this log."""

    class What(models.TextChoices):
        VIEW = "view", "Viewed"
        EXPORT = "export", "Exported"

    case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL, related_name="+")
    case_number = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(max_length=10, choices=What.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Case access {self.pk}"


class PairBlock(models.Model):
    """A mentee and mentor who must never be matched again (from a case or a no-fault exit)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="+")
    mentee = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mentee", "mentor"], name="one_block_per_pair"),
        ]

    def __str__(self) -> str:
        return f"Pair block {self.pk}"


class Suspension(models.Model):
    """A participant suspended from a scheme by a safeguarding lead: never matched while it lasts."""

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Suspension {self.pk}"


class LeavingReason(models.Model):
    """A confidential reason a member gave when leaving without fault: for coordinators only."""

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="+"
    )
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField()
    never_again = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Leaving reason {self.pk}"
