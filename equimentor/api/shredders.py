"""The API's part of erasure (see ``core.erasure``): the tasks she started through the API."""

from __future__ import annotations

from equimentor.api.models import APITask, IdempotencyKey
from equimentor.core import erasure


def _export(user):
    return {"api_tasks": erasure.rows(APITask.objects.filter(created_by=user))}


def _erase(person: erasure.Person) -> int:
    """Her tasks go: a record to poll, of ids and counts (what they changed is in the audit
    trail, as any change is)."""
    tasks = APITask.objects.filter(created_by=person.user).delete()[0]
    return tasks + IdempotencyKey.objects.filter(user=person.user).delete()[0]


SHREDDER = erasure.Shredder(
    name="api_tasks",
    order=98,
    covers=(
        erasure.Covers(APITask, deleted="the tasks she started through the API"),
        erasure.Covers(
            IdempotencyKey,
            deleted="her idempotency keys and the answers kept for them (a day at most)",
        ),
    ),
    erase=_erase,
    export=_export,
)
