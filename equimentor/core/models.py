"""The audit trail: one row for every state change that matters."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Who did what, when, to which object. Holds no personal or identity data."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    scheme = models.ForeignKey(
        "schemes.Scheme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    via_token = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="The id of the API token the change was made through (accounts.APIToken).",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class OutgoingEmail(models.Model):
    """One email on its way: rendered when asked for, sent by a task, kept as a record.

    ``key`` makes each email happen once: asking again with the same key does nothing, and a
    send is claimed with a conditional UPDATE, so a retried or duplicated task never sends twice.
    The body is dropped once the email is sent or has failed for good (it may hold a sign-in
    link); what stays is who it was for, what it was, and what happened to it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        RETRYING = "retrying", "Retrying"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    template = models.CharField(max_length=60)
    scheme = models.ForeignKey(
        "schemes.Scheme", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)  # [filename, base64, mimetype]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["scheme", "created_at"]),
            models.Index(fields=["to"]),
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.status})"


class SentNotice(models.Model):
    """One row per scheduled send: the unique key makes every send happen at most once."""

    key = models.CharField(max_length=160, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class JobLock(models.Model):
    """A named lock, claimed with a conditional UPDATE so two holders never overlap; it lapses at
    ``locked_until`` so a holder that died does not keep it."""

    name = models.CharField(max_length=60, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class PeriodicJob(models.Model):
    """When a registered periodic job is next due, and how its last run went."""

    name = models.CharField(max_length=60, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name


class WorkerHeartbeat(models.Model):
    """A running worker or scheduler says it is alive every few seconds."""

    class Role(models.TextChoices):
        WORKER = "worker", "Worker"
        SCHEDULER = "scheduler", "Scheduler"

    worker_id = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.role} {self.worker_id}"


class DataChange(models.Model):
    """One change to a scheme's data, made in the change's transaction (``core.versions``).

    Rows are only inserted (and later folded into ``DataVersion.folded``), never updated, so
    two changes in one scheme never wait on each other's row lock."""

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"Data change {self.pk}"


class DataVersion(models.Model):
    """The changes of a scheme already folded away: its data version is ``folded`` plus the
    number of its ``DataChange`` rows (``core.versions.current``)."""

    scheme = models.OneToOneField("schemes.Scheme", on_delete=models.CASCADE, related_name="+")
    folded = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Data version {self.pk}"
