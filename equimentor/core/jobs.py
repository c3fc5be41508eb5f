"""Periodic jobs: each app registers its own (in its ``AppConfig.ready``), core runs them.

    jobs.register("relationships.reminders", scheduler.run, every=timedelta(minutes=10))

``equimentor scheduler`` (one per site, see :mod:`equimentor.core.scheduler`) enqueues each job as
a task when it is due, and a worker runs it; ``equimentor tick`` runs every job at once in its own
process, for sites that schedule with cron. A job returns counts of what it did, must be safe to run
as often as you like (sends are recorded under unique keys with :func:`once`), and never runs twice
at the same time: :func:`run` holds the job's lock (a row claimed with a conditional UPDATE, which
works on SQLite and PostgreSQL alike) while it runs.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from equimentor.core.models import JobLock, PeriodicJob, SentNotice
from equimentor.core.tasks import task

log = logging.getLogger(__name__)
LOCK_TTL = timedelta(minutes=30)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], Mapping[str, int] | None]
    every: timedelta


_registry: dict[str, Job] = {}


def register(name: str, func: Callable[[], Mapping[str, int] | None], *, every: timedelta) -> Job:
    """Make ``func`` a periodic job called ``name``, due every ``every``."""
    job = Job(name, func, every)
    if _registry.get(name, job) != job:
        raise ValueError(f"Another periodic job is already called {name!r}.")
    _registry[name] = job
    return job


def registered() -> list[Job]:
    """Every registered job, by name."""
    return [_registry[name] for name in sorted(_registry)]


# -- locks and once-only keys ----------------------------------------------------------------------


def claim_lock(name: str, ttl: timedelta = LOCK_TTL) -> str | None:
    """Claim the lock ``name`` with a conditional UPDATE; a holder token, or None if taken."""
    try:
        with transaction.atomic():
            JobLock.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # another claimant created it at the same moment
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = (
        JobLock.objects.filter(name=name)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(holder=token, locked_until=now + ttl)
    )
    return token if claimed == 1 else None


def renew_lock(name: str, token: str, ttl: timedelta) -> bool:
    """Extend a lock this holder still has; False if it lapsed and someone else took it."""
    now = timezone.now()
    return bool(JobLock.objects.filter(name=name, holder=token).update(locked_until=now + ttl))


def release_lock(name: str, token: str) -> None:
    JobLock.objects.filter(name=name, holder=token).update(holder="", locked_until=None)


def once(key: str) -> bool:
    """Claim ``key`` inside the current transaction; False if it was claimed before.

    Claim it in the transaction that sends, so a rolled-back send can be made again.
    """
    try:
        with transaction.atomic():
            SentNotice.objects.create(key=key)
    except IntegrityError:
        return False
    return True


# -- running ---------------------------------------------------------------------------------------


def run(name: str) -> dict:
    """Run the job ``name`` now unless a run of it is going on; counts of what it did."""
    job = _registry[name]
    token = claim_lock(f"job:{name}")
    if token is None:
        log.info("job %s is already running; skipped", name)
        return {"skipped": 1}
    started = timezone.now()
    PeriodicJob.objects.filter(name=name).update(last_started_at=started)
    try:
        outcome = {k: int(v) for k, v in (job.func() or {}).items()}
    finally:
        release_lock(f"job:{name}", token)
    PeriodicJob.objects.filter(name=name).update(
        last_finished_at=timezone.now(), last_outcome=outcome
    )
    return outcome


@task()
def run_job(name: str) -> dict:
    """The task a scheduler enqueues when ``name`` is due."""
    return run(name)


def enqueue_due(now=None) -> list[str]:
    """Enqueue every job that is due (and mark it done until its next time); their names.

    Marking is a conditional UPDATE on the job's row, so even two schedulers at once could not
    enqueue one job twice for the same time.
    """
    now = now or timezone.now()
    known = set(PeriodicJob.objects.values_list("name", flat=True))
    PeriodicJob.objects.bulk_create(
        [
            PeriodicJob(name=job.name, next_run_at=now)
            for job in registered()
            if job.name not in known
        ],
        ignore_conflicts=True,
    )
    enqueued = []
    for job in registered():
        taken = PeriodicJob.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=now + job.every
        )
        if taken:
            run_job.enqueue(job.name)
            enqueued.append(job.name)
    return enqueued
