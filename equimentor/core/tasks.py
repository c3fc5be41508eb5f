"""Background work through Django's task API.

Every task in the project is declared with :func:`task` from this module: ``django.tasks`` on
Django 6, the ``django_tasks`` backport (the same API) before it, so moving to Django 6 changes
nothing else. Tasks take primary keys and plain values, never model instances, are enqueued after
the surrounding transaction commits, and may run more than once (a worker that dies mid-task has
its task run again), so each one is idempotent.

Which backend runs them is a setting (``TASKS_BACKEND``, see docs/deployment.md): in process and
at once for the demo and the tests, PostgreSQL with ``equimentor worker`` in production, or Redis
(RQ) for larger sites.
"""

from __future__ import annotations

from importlib.util import find_spec

if find_spec("django.tasks"):  # Django 6
    from django.tasks import default_task_backend, task, task_backends
else:
    from django_tasks import default_task_backend, task, task_backends

__all__ = ["default_task_backend", "task", "task_backends"]
