"""Periodic jobs: each app registers its own; one scheduler leads across machines and enqueues
them when due; the tasks of a dead worker go back in the queue."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from equimentor.core import jobs, scheduler, workers
from equimentor.core.models import PeriodicJob, WorkerHeartbeat
from tests import processes
from tests.tasks_setup import database_tasks


def test_every_app_registers_its_jobs():
    assert [job.name for job in jobs.registered()] == [
        "api.idempotency_keys",
        "api.webhooks",
        "core.data_versions",
        "core.prune",
        "evaluation.invitations",
        "matching.proposal_emails",
        "privacy.retention",
        "relationships.reminders",
        "training.reminders",
    ]


def test_a_job_is_enqueued_once_each_time_it_is_due(db):
    with database_tasks():
        every = {job.name: job.every for job in jobs.registered()}
        start = timezone.now()
        assert jobs.enqueue_due() == sorted(every)
        assert jobs.enqueue_due() == []
        last = dict.fromkeys(every, timedelta(0))  # when each was last enqueued, from start
        enqueued = len(every)
        for at in (timedelta(minutes=11), timedelta(minutes=31)):
            due = sorted(name for name in every if last[name] + every[name] <= at)
            with time_machine.travel(start + at + timedelta(seconds=5)):
                assert jobs.enqueue_due() == due
            last.update(dict.fromkeys(due, at))
            enqueued += len(due)
        assert last["relationships.reminders"] == timedelta(minutes=31)  # came round twice
        paths = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert len(paths) == enqueued
    assert {path for path, _ in paths} == {"equimentor.core.jobs.run_job"}


def test_a_job_runs_and_records_how_it_went(db):
    jobs.enqueue_due()  # the immediate backend runs each job at once
    row = PeriodicJob.objects.get(name="relationships.reminders")
    assert row.last_finished_at is not None and row.last_outcome == {}


def test_a_job_never_runs_twice_at_once(db):
    token = jobs.claim_lock("job:privacy.retention")
    assert jobs.run("privacy.retention") == {"skipped": 1}
    jobs.release_lock("job:privacy.retention", token)
    assert "skipped" not in jobs.run("privacy.retention")


def test_one_scheduler_leads_until_it_lets_go(db):
    """The advisory lock on PostgreSQL, the lock row elsewhere."""
    first, second = scheduler.Leadership(10), scheduler.Leadership(10)
    try:
        assert first.hold() is True
        assert second.hold() is False
        assert first.hold() is True  # renewed
        first.release()
        assert second.hold() is True
        assert first.hold() is False
    finally:
        first.release()
        second.release()


def test_a_leader_that_stops_renewing_the_lock_row_loses_the_lead(db):
    """After three intervals. (On PostgreSQL the lead goes with the leader's connection instead:
    test_two_schedulers_racing_on_postgresql_one_leads.)"""
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL leads by advisory lock, not by the lock row")
    first, second = scheduler.Leadership(10), scheduler.Leadership(10)
    assert first.hold() is True
    first.release()
    assert second.hold() is True
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        assert first.hold() is True
        assert second.hold() is False


def _heartbeat(worker_id, seen_at):
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, role="worker", hostname="h", pid=1, started_at=seen_at, seen_at=seen_at
    )


def _running(worker_ids, started_at):
    with database_tasks():
        result = jobs.run_job.enqueue("core.prune")
    DBTaskResult.objects.filter(id=result.id).update(
        status="RUNNING", worker_ids=worker_ids, started_at=started_at
    )
    return DBTaskResult.objects.get(id=result.id)


def test_the_task_of_a_dead_worker_goes_back_in_the_queue(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    _heartbeat("alive", now)
    _heartbeat("dead", now - timedelta(minutes=5))
    busy = _running(["alive"], now - timedelta(minutes=10))
    orphan = _running(["dead"], now - timedelta(minutes=5))
    cursed = _running(["a", "b", "c", "d", "dead"], now - timedelta(minutes=5))
    assert workers.recover() == {"tasks_requeued": 1, "tasks_failed": 1}
    statuses = {t.id: t.status for t in DBTaskResult.objects.all()}
    assert statuses == {busy.id: "RUNNING", orphan.id: "READY", cursed.id: "FAILED"}
    assert workers.recover() == {}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_on_postgresql_one_leads(tmp_path):
    """Two real `equimentor scheduler` processes: one leads, the other takes over when the leader
    is killed, and no job is enqueued twice."""
    if connection.vendor != "postgresql":
        pytest.skip("advisory-lock race test runs on PostgreSQL (CI runs it there)")
    env = processes.env(TASKS_BACKEND="database", HEARTBEAT_SECONDS="1")
    args = [*processes.EQUIMENTOR, "scheduler", "--interval", "0.2"]
    first = processes.Process(args, env, tmp_path / "first.log")
    second = processes.Process(args, env, tmp_path / "second.log")
    try:
        deadline = time.monotonic() + 60
        while "leads" not in first.output + second.output and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # fifteen turns each: both ask to lead again and again
        leaders = [p for p in (first, second) if " leads" in p.output]
        assert len(leaders) == 1, first.output + second.output
        leader, other = leaders[0], (second if leaders[0] is first else first)
        assert other.proc.poll() is None and " leads" not in other.output
        leader.kill()
        other.wait_for(" leads", timeout=30)  # PostgreSQL freed the lock with the connection
    finally:
        first.stop()
        second.stop()
    enqueued = [
        row["args"][0] for row in DBTaskResult.objects.values_list("args_kwargs", flat=True)
    ]
    assert sorted(enqueued) == [job.name for job in jobs.registered()]  # each once
    assert len(re.findall(r" leads", first.output + second.output)) == 2
