"""Long operations started through the API, run by a worker (``APITask``).

The API view records an ``APITask`` (``api.services.start_task``) and answers 202; once that
commits, :func:`run_api_task` runs here, calling the same service function the page calls, as
the person who asked and through their token (every audit event of the operation names it, as
in the request). The operation and the task's success are one transaction, so a worker that
dies mid-way leaves the task to run again from the start, and a task that finished is never run
twice. A service's refusal (``MatchingError``) fails the task with its message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from equimentor.api import webhooks
from equimentor.api.models import APITask
from equimentor.core import audit
from equimentor.core.tasks import task
from equimentor.matching import services as matching
from equimentor.matching.models import MatchingRound


def _round(t: APITask) -> MatchingRound:
    return MatchingRound.objects.select_related("scheme").get(
        pk=t.params["round"], scheme_id=t.scheme_id
    )


def _close_choices(t: APITask, actor) -> dict:
    run = matching.close_choices(_round(t), actor=actor)
    return {"round": t.params["round"], "run": run.pk, "matched": run.metrics.get("matched")}


def _dry_run(t: APITask, actor) -> dict:
    run = matching.dry_run(_round(t), actor=actor, stable_only=bool(t.params.get("stable_only")))
    return {"round": t.params["round"], "run": run.pk, "matched": run.metrics.get("matched")}


def _publish(t: APITask, actor) -> dict:
    proposals = matching.publish(_round(t), actor=actor)
    return {"round": t.params["round"], "proposals": len(proposals)}


# kind -> (operation, the errors it reports as the task's failure)
OPERATIONS: dict[str, tuple[Callable[[APITask, object], dict], type[Exception]]] = {
    "matching.close_choices": (_close_choices, matching.MatchingError),
    "matching.dry_run": (_dry_run, matching.MatchingError),
    "matching.publish": (_publish, matching.MatchingError),
}


@task()
def run_api_task(task_id: int) -> str:
    """Run API task ``task_id`` once; returns its status."""
    claimed = APITask.objects.filter(
        pk=task_id, status__in=[APITask.Status.QUEUED, APITask.Status.RUNNING]
    ).update(status=APITask.Status.RUNNING, started_at=timezone.now())
    t = APITask.objects.select_related("created_by").get(pk=task_id)
    if not claimed:
        return t.status  # finished already (a task run again)
    operation, refusal = OPERATIONS[t.kind]
    before = audit.current_token()
    audit.acting_through_token(t.via_token)
    try:
        with transaction.atomic():
            result = operation(t, t.created_by)
            APITask.objects.filter(pk=t.pk).update(
                status=APITask.Status.SUCCEEDED, result=result, finished_at=timezone.now()
            )
        return APITask.Status.SUCCEEDED
    except refusal as exc:
        APITask.objects.filter(pk=t.pk).update(
            status=APITask.Status.FAILED, error=str(exc), finished_at=timezone.now()
        )
        return APITask.Status.FAILED
    except Exception:
        APITask.objects.filter(pk=t.pk).update(
            status=APITask.Status.FAILED,
            error="The operation failed unexpectedly; nothing was changed. Try again.",
            finished_at=timezone.now(),
        )
        raise
    finally:
        audit.acting_through_token(before)


# -- webhooks (api.webhooks) --------------------------------------------------------------------


@task()
def deliver_webhooks(delivery_ids: list[int]) -> dict:
    """Try each delivery once (if due and not being sent): counts by status afterwards."""
    counts: dict[str, int] = {}
    for pk in delivery_ids:
        status = webhooks.attempt(pk)
        counts[status] = counts.get(status, 0) + 1
    return counts


def enqueue_webhooks(ids: list[int]) -> None:
    for start in range(0, len(ids), 20):
        deliver_webhooks.enqueue(ids[start : start + 20])


def on_audit_event(event) -> None:
    """``core.audit``'s listener: an event's deliveries, sent once its transaction commits."""
    if ids := webhooks.deliveries_for(event):
        transaction.on_commit(lambda: enqueue_webhooks(ids), robust=True)


def sweep_webhooks() -> dict[str, int]:
    """The periodic job ``api.webhooks``: hand the worker every delivery whose try is due, and
    delete the log of deliveries finished more than ``WEBHOOK_RECORD_DAYS`` ago."""
    ids = webhooks.due()
    enqueue_webhooks(ids)
    return {"enqueued": len(ids), "deleted": webhooks.purge_finished()}
