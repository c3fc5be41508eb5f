"""``equimentor worker``: run background tasks (emails, periodic jobs) until stopped."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from equimentor.core import workers

DATABASE = "django_tasks_db.DatabaseBackend"
RQ = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = (
        "Run background tasks (TASKS_BACKEND=database or rq) until stopped; run as many as you "
        "like, on as many machines. SIGTERM lets the current task finish first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", action="store_true", help="Run every waiting task, then stop."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when there is nothing to do (default %(default)s).",
        )

    def handle(self, *args, batch=False, interval=1.0, verbosity=1, **options):
        backend = settings.TASKS["default"]["BACKEND"]
        if backend not in (DATABASE, RQ):
            raise CommandError(
                f"TASKS_BACKEND is {settings.TASKS_BACKEND!r}: tasks run in the process that asks "
                "for them, so there is nothing for a worker to do. Set TASKS_BACKEND=database "
                "(or rq)."
            )
        worker_id = workers.new_id("worker")
        with workers.Heartbeat(worker_id, "worker"):
            if backend == DATABASE:
                call_command(
                    "db_worker",
                    queue_name="*",
                    interval=interval,
                    batch=batch,
                    reload=False,
                    startup_delay=not batch,
                    worker_id=worker_id,
                    verbosity=verbosity,
                )
            else:
                call_command("rqworker", "default", burst=batch, name=worker_id)
