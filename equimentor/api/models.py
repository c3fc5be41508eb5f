"""The API's own records: background operations a client started and polls (``APITask``)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class APITask(models.Model):
    """A long operation started through the API (a matching round's dry run or publication),
    run by a worker through the task queue; the client polls it at
    ``/api/v1/schemes/<slug>/tasks/<id>/``. Only the scheme's coordinators read it. It holds ids
    and figures, never personal data."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)  # an operation of api.tasks.OPERATIONS
    params = models.JSONField(default=dict)  # ids and flags only
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    result = models.JSONField(default=dict, blank=True)  # ids and counts, when succeeded
    error = models.TextField(blank=True)  # the service's message, when failed
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    via_token = models.PositiveBigIntegerField(null=True, blank=True)  # as AuditEvent.via_token
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API task {self.pk} ({self.kind})"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class IdempotencyKey(models.Model):
    """A POST's ``Idempotency-Key`` (per caller): the hash of the request it came with and the
    answer that was given, replayed to a repeat of it. Deleted after ``IDEMPOTENCY_KEY_HOURS``
    by the periodic job ``api.idempotency_keys`` (``api.idempotency.purge_expired``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField(null=True)  # null while it runs
    response = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="api_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"Idempotency key {self.pk}"


class WebhookEndpoint(models.Model):
    """An address a scheme's coordinator registered to be told of events (``api.webhooks``):
    deliveries are signed with its secret (Standard Webhooks), sealed at rest and shown once.
    It holds no personal data: a URL of the scheme's own systems and a description."""

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)  # event types of api.webhooks.EVENTS
    secret_sealed = models.TextField()  # core.sealed: "whsec_..." as shown once
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deleted_at = models.DateTimeField(null=True, blank=True)  # kept for its delivery log

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Webhook endpoint {self.pk}"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with its tries: the delivery log the
    coordinator reads. ``payload`` holds the event type, when and opaque ids only."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40, unique=True)  # webhook-id: the same on retries
    event = models.CharField(max_length=40)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # a worker is sending it
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)  # why the last try failed
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"Webhook delivery {self.pk} ({self.event})"
