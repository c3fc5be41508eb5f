"""``equimentor tick``: run from cron (every 15 minutes is plenty). Idempotent and locked."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from equimentor.evaluation import scheduler as evaluation_scheduler
from equimentor.privacy.services import run_retention
from equimentor.relationships import scheduler


class Command(BaseCommand):
    help = "Send due check-ins, reminders and end-date prompts; flag lapses to coordinators."

    def handle(self, *args, **options):
        token = scheduler.claim_lock()
        if token is None:
            self.stdout.write("Another tick is running; nothing done.")
            return
        try:
            done = scheduler.run()
            done.update({f"retention_{k}": v for k, v in run_retention().items()})
            done.update(evaluation_scheduler.run(timezone.now()))
        finally:
            scheduler.release_lock(token)
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(done.items())) or "nothing due"
        self.stdout.write(f"Tick done ({summary}).")
