"""``equimentor scheduler``: one leader across every machine enqueues the periodic jobs.

Run one or more schedulers (two machines, for failover): at any moment exactly one leads. On
PostgreSQL the leader holds a session advisory lock on a connection of its own, which PostgreSQL
releases the moment that process or its machine goes away; elsewhere (SQLite) it holds the
``scheduler`` lock row and renews it every loop, and a leader that stops renewing loses it after
``3 × interval``. Each loop the leader puts back the tasks of dead workers
(:func:`workers.recover`), hands any email that is due to a worker (:func:`outbox.sweep`) and
enqueues the jobs that are due (:func:`jobs.enqueue_due`); the workers run them.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from datetime import timedelta

import psycopg
from django.db import close_old_connections, connection

from equimentor.core import jobs, outbox, workers

log = logging.getLogger(__name__)
LOCK_NAME = "scheduler"
# The advisory lock's key: the same 64-bit number in every process of this site's database.
ADVISORY_KEY = int.from_bytes(
    hashlib.sha256(b"equimentor.scheduler").digest()[:8], "big", signed=True
)


class Leadership:
    """Try to lead; ask again every loop with :meth:`hold` (True while this process leads)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._pg = None  # the advisory lock's own connection (PostgreSQL)
        self._token = None  # the lock row's holder token (other databases)

    def hold(self) -> bool:
        if connection.vendor == "postgresql":
            return self._hold_advisory()
        return self._hold_row()

    def _hold_advisory(self) -> bool:
        if self._pg is not None:
            try:
                self._pg.execute("SELECT 1")
                return True
            except psycopg.Error:  # the connection went: so did the lock
                self._pg = None
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        pg = psycopg.connect(**params, autocommit=True)
        got = pg.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY]).fetchone()[0]
        if got:
            self._pg = pg
            return True
        pg.close()
        return False

    def _hold_row(self) -> bool:
        ttl = timedelta(seconds=self.interval * 3)
        if self._token and jobs.renew_lock(LOCK_NAME, self._token, ttl):
            return True
        self._token = jobs.claim_lock(LOCK_NAME, ttl)
        return self._token is not None

    def release(self) -> None:
        if self._pg is not None:
            self._pg.close()  # closing the session releases the advisory lock
            self._pg = None
        if self._token:
            jobs.release_lock(LOCK_NAME, self._token)
            self._token = None


def loop_once(leadership: Leadership) -> dict | None:
    """One turn: None if another scheduler leads, otherwise what was done."""
    close_old_connections()
    if not leadership.hold():
        return None
    done: dict = {}
    done.update(workers.recover())
    done.update(outbox.sweep())
    enqueued = jobs.enqueue_due()
    if enqueued:
        done["jobs"] = len(enqueued)
    return done


def run(*, interval: float, stdout, max_loops: int | None = None) -> None:
    """Loop until SIGTERM/SIGINT (or ``max_loops``), leading when no one else does."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    leadership = Leadership(interval)
    worker_id = workers.new_id("scheduler")
    leading = False
    loops = 0
    with workers.Heartbeat(worker_id, "scheduler"):
        try:
            while not stop.is_set():
                done = loop_once(leadership)
                if (done is not None) != leading:
                    leading = done is not None
                    stdout.write(f"{worker_id} {'leads' if leading else 'stands by'}\n")
                    stdout.flush()
                if done:
                    log.info("scheduler: %s", done)
                loops += 1
                if max_loops is not None and loops >= max_loops:
                    break
                stop.wait(interval)
        finally:
            leadership.release()
            if leading:
                stdout.write(f"{worker_id} stops leading\n")
                stdout.flush()
