"""Run tests against the production task backend (tasks kept in the database for a worker)."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.management import call_command
from django.test import override_settings

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@contextmanager
def database_tasks():
    """Tasks wait in the database until :func:`run_worker` runs them."""
    with override_settings(TASKS=DATABASE_TASKS):
        yield


def run_worker() -> None:
    """`equimentor worker --batch`: run every waiting task (and those they enqueue), then stop."""
    call_command("worker", "--batch", verbosity=0)
