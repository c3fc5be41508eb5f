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

import os

from equimentor.lib.env import envint, envlist

wsgi_app = "equimentor.wsgi:application"
bind = envlist("WEB_BIND", ["127.0.0.1:8000"])
workers = envint("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
threads = envint("WEB_THREADS", 1)
timeout = envint("WEB_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # a process is replaced after this many requests (and a jitter)
max_requests_jitter = 200

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


def post_fork(server, worker):
    """Each process opens its own database connections (none is shared across fork)."""
    from django.db import connections

    connections.close_all()
