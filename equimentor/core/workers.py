"""Keeping workers honest: heartbeats, tasks of dead workers, and old results.

Every ``equimentor worker`` and ``equimentor scheduler`` writes a heartbeat row every few seconds
from a thread of its own (``/readyz`` reads them). The database task backend marks a task
"running" when a worker takes it and nothing more, so a worker killed mid-task (SIGKILL, a lost
machine) would leave its task running for ever: :func:`recover` puts such a task back in the queue
once its worker's heartbeat has stopped. Tasks are idempotent, so running one again is safe; one
that has killed its worker ``MAX_RUNS`` times is marked failed instead. (With RQ, a job whose
worker died is moved by RQ to its failed jobs; emails are not lost either way, because
:func:`equimentor.core.outbox.sweep` sends whatever is still due.)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

from equimentor.core.models import OutgoingEmail, WorkerHeartbeat

log = logging.getLogger(__name__)
MAX_RUNS = 5


def new_id(role: str) -> str:
    return f"{role}-{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"


def dead_after() -> timedelta:
    return timedelta(seconds=settings.WORKER_DEAD_AFTER_SECONDS)


def beat(worker_id: str, role: str, started_at) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "role": role,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
        },
    )


class Heartbeat:
    """A daemon thread that beats every ``HEARTBEAT_SECONDS`` until stopped (or the process dies)."""

    def __init__(self, worker_id: str, role: str):
        self.worker_id, self.role = worker_id, role
        self.started_at = timezone.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{role}", daemon=True)

    def __enter__(self) -> Heartbeat:
        beat(self.worker_id, self.role, self.started_at)  # before the first task is taken
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _run(self) -> None:
        while not self._stop.wait(settings.HEARTBEAT_SECONDS):
            try:
                close_old_connections()
                beat(self.worker_id, self.role, self.started_at)
            except Exception:  # noqa: BLE001 - a database blip must not kill the thread
                log.exception("heartbeat failed")
        connection.close()


def alive(role: str = WorkerHeartbeat.Role.WORKER) -> bool:
    """Has a process of ``role`` beaten recently?"""
    return WorkerHeartbeat.objects.filter(
        role=role, seen_at__gte=timezone.now() - dead_after()
    ).exists()


def recover(now=None) -> dict:
    """Put back in the queue the running tasks whose worker has stopped beating."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return {}
    now = now or timezone.now()
    fresh = set(
        WorkerHeartbeat.objects.filter(seen_at__gte=now - dead_after()).values_list(
            "worker_id", flat=True
        )
    )
    requeued = failed = 0
    for task in DBTaskResult.objects.filter(status="RUNNING").only(
        "id", "worker_ids", "started_at"
    ):
        worker = task.worker_ids[-1] if task.worker_ids else None
        if worker in fresh or (task.started_at and task.started_at > now - dead_after()):
            continue
        running = DBTaskResult.objects.filter(id=task.id, status="RUNNING")
        if len(task.worker_ids) >= MAX_RUNS:
            failed += running.update(
                status="FAILED",
                finished_at=now,
                exception_class_path="equimentor.core.workers.WorkerDied",
                traceback=f"The worker running this task died {len(task.worker_ids)} times.",
            )
        else:
            requeued += running.update(status="READY", started_at=None)
    if requeued or failed:
        log.warning("tasks of dead workers: %d requeued, %d failed", requeued, failed)
    return {k: v for k, v in {"tasks_requeued": requeued, "tasks_failed": failed}.items() if v}


def prune(now=None) -> dict:
    """Forget finished task results, old email records and old heartbeats."""
    now = now or timezone.now()
    done = {}
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        done["task_results"] = DBTaskResult.objects.filter(
            status__in=["SUCCESSFUL", "FAILED"],
            finished_at__lt=now - timedelta(days=settings.TASK_RESULT_DAYS),
        ).delete()[0]
    done["email_records"] = OutgoingEmail.objects.filter(
        status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.FAILED],
        created_at__lt=now - timedelta(days=settings.EMAIL_RECORD_DAYS),
    ).delete()[0]
    done["heartbeats"] = WorkerHeartbeat.objects.filter(
        seen_at__lt=now - timedelta(days=1)
    ).delete()[0]
    return {k: v for k, v in done.items() if v}
