"""The API's part of erasure (see ``core.erasure``): the tasks she started through the API."""

from __future__ import annotations

from equimentor.api.models import APITask, IdempotencyKey, WebhookDelivery, WebhookEndpoint
from equimentor.core import erasure


def _export(user):
    return {"api_tasks": erasure.rows(APITask.objects.filter(created_by=user))}


def _erase(person: erasure.Person) -> int:
    """Her tasks go: a record to poll, of ids and counts (what they changed is in the audit
    trail, as any change is)."""
    tasks = APITask.objects.filter(created_by=person.user).delete()[0]
    endpoints = WebhookEndpoint.objects.filter(created_by=person.user).update(created_by=None)
    return tasks + endpoints + IdempotencyKey.objects.filter(user=person.user).delete()[0]


SHREDDER = erasure.Shredder(
    name="api_tasks",
    order=98,
    covers=(
        erasure.Covers(APITask, deleted="the tasks she started through the API"),
        erasure.Covers(
            IdempotencyKey,
            deleted="her idempotency keys and the answers kept for them (a day at most)",
        ),
        erasure.Covers(
            WebhookEndpoint,
            erased="created_by",
            kept={
                "url description events secret_sealed": "the scheme's own system's address and "
                "the staff's note about it, not about a participant",
            },
        ),
        erasure.Covers(
            WebhookDelivery,
            kept={
                "payload": "event types, times and opaque ids only (an erased person's id "
                "names a row that no longer says who she was)",
                "message_id event status last_error": "ids, event types, the state and the receiver's status",
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
