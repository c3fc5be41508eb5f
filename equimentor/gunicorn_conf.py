"""gunicorn's settings for Equimentor's web processes (docs/deployment.md, "Web server").

    gunicorn -c python:equimentor.gunicorn_conf

Tuned by environment variables, so a systemd unit, the container image and a test start it the
same way:

``WEB_BIND``         where to listen, comma-separated (default ``127.0.0.1:8000``)
``WEB_CONCURRENCY``  worker processes (default 2 × CPU cores + 1, gunicorn's own rule)
``WEB_THREADS``      threads per process (default 1: plain synchronous workers)
``WEB_TIMEOUT``      seconds a request may take before its worker is restarted (default 60)

Each thread of each process keeps one database connection open (``DB_CONN_MAX_AGE``), so
PostgreSQL's ``max_connections`` must exceed processes × threads × machines, plus one per
``equimentor worker`` and scheduler. Any gunicorn option given on the command line wins.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from multiprocessing.sharedctypes import RawArray

from equimentor.lib.env import envint, envlist

wsgi_app = "equimentor.wsgi:application"
bind = envlist("WEB_BIND", ["127.0.0.1:8000"])
workers = envint("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
threads = envint("WEB_THREADS", 1)
timeout = envint("WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# Each process is replaced after about this many of its own requests (bounding what a slow leak
# can take), and never two at once: see "Replaced in turn" below. No random jitter.
max_requests = 2000
max_requests_jitter = 0

# Load the application once in the master, so a configuration error (no SECRET_KEY, no shared
# cache) stops gunicorn at once with its message instead of failing every worker as it boots.
preload_app = True

# The proxy's X-Forwarded-* headers are applied by Equimentor itself, only from TRUSTED_PROXIES
# (equimentor.core.net): gunicorn passes them through and interprets none of them.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# No access log: it would record client addresses and every URL (sign-in and registration links
# carry their tokens in the path). Errors go to standard error, for journald or the container.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
capture_output = True

# Several gunicorns may run on one machine as one user: none needs the shared control socket.
control_socket_disable = True
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"  # heartbeat files off the disk (containers' overlay filesystems)


# Replaced in turn. gunicorn replaces a process once it has served ``max_requests`` requests of
# its own (plus a random jitter); processes share the load evenly, so all of them reached it
# within seconds of each other and were replaced together, and requests waited while the new
# ones started (#17, docs/benchmarks.md). Here the processes take turns instead,
# counted in requests served by all of them: the process holding turn k asks gunicorn to replace
# it after the request that brings the total to k × max_requests, and one that starts takes the
# next free turn. So one process is replaced every ``max_requests`` requests in total, never two
# together, and each still serves about ``max_requests`` of its own (N processes, N turns apart);
# gunicorn's own limit stays as a ceiling (twice that) should one process get most requests.
# The total is kept in memory shared by the master and its processes: one count per slot (a
# slot is held by one live process at a time, which alone writes it), so no lock is needed.
SLOTS = 64
_served = None  # requests served through each slot, since the master started
_last_turn = 0


def pre_fork(server, worker):
    """In the master, before a process starts: its slot, its turn and gunicorn's ceiling."""
    global _served, _last_turn
    every = server.cfg.max_requests
    if every <= 0:  # replacing disabled (--max-requests 0)
        return
    if _served is None:
        _served = RawArray(ctypes.c_longlong, SLOTS)
    taken = {getattr(w, "slot", None) for w in server.WORKERS.values()}
    slot = next((s for s in range(SLOTS) if s not in taken), None)
    if slot is None:  # more live processes than slots: gunicorn's own limit alone
        return
    # the next turn after the last one given, and never one already passed (after a reload)
    _last_turn = max(_last_turn + 1, sum(_served) // every + 1)
    worker.slot = slot
    worker.served_before = _served[slot]
    worker.turn_at = _last_turn * every
    worker.max_requests = 2 * every


def pre_request(worker, req):
    """In a process, before each request: count it, and end the process after it on its turn."""
    turn_at = getattr(worker, "turn_at", None)
    if turn_at is None:
        return
    _served[worker.slot] = worker.served_before + worker.nr + 1  # this request included
    if sum(_served) >= turn_at:
        worker.max_requests = min(worker.max_requests, worker.nr + 1)  # gunicorn ends it


def post_fork(server, worker):
    """Each process opens its own database connections (none is shared across fork)."""
    from django.db import connections

    connections.close_all()


def worker_exit(server, worker):
    """A process that is done ends at once, without Python's own shutdown: that frees every
    object one by one, writing to every page it shares with the master (copy on write). That
    took 1-2 s of CPU under load while the master waited to start a replacement, and, when
    gunicorn is stopped or restarted, about 1.9 s a process one after another on 2 cores, 10-13 s
    for five (the deployment walk of 2026-12-06). Done means replaced after its requests, or
    told to stop after it had booted; a process failing to boot, or leaving on an error while
    still serving, shuts down as Python does, so its error is reported as before."""
    replaced = worker.nr >= worker.max_requests
    stopped = getattr(worker, "booted", False) and not getattr(worker, "alive", True)
    if replaced or stopped:
        from django.db import connections

        connections.close_all()
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
