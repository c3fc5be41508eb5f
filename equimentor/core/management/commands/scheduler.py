"""``equimentor scheduler``: enqueue the periodic jobs when due; one leads across all machines."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from equimentor.core import scheduler


class Command(BaseCommand):
    help = (
        "Enqueue periodic jobs (reminders, check-ins, questionnaires, retention) when due, and "
        "recover the tasks of dead workers. Run one or more: only one leads at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.SCHEDULER_INTERVAL_SECONDS,
            help="Seconds between turns (default %(default)s, from SCHEDULER_INTERVAL_SECONDS).",
        )
        parser.add_argument("--loops", type=int, default=None, help="Stop after this many turns.")

    def handle(self, *args, interval, loops=None, **options):
        scheduler.run(interval=interval, stdout=self.stdout, max_loops=loops)
