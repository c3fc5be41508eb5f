"""``equimentor tick``: run every periodic job now, in this process (for sites that use cron)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from equimentor.core import jobs, outbox, workers


class Command(BaseCommand):
    help = (
        "Run every periodic job once now: check-ins, reminders, end-date prompts, questionnaire "
        "invitations, retention. Safe to repeat and to overlap (each job is locked). Sites that "
        "run `equimentor scheduler` do not need it."
    )

    def handle(self, *args, **options):
        done: dict = {}
        done.update(workers.recover())
        done.update(outbox.sweep())
        for job in jobs.registered():
            outcome = jobs.run(job.name)
            if outcome.get("skipped"):
                self.stdout.write(f"{job.name} is already running; skipped.")
            done.update({k: v for k, v in outcome.items() if k != "skipped"})
        summary = ", ".join(f"{k}: {v}" for k, v in sorted(done.items()) if v) or "nothing due"
        self.stdout.write(f"Tick done ({summary}).")
