"""``/healthz`` (liveness) and ``/readyz`` (readiness) for load balancers and monitoring.

A load balancer asks over plain http, by the machine's address, so both answer before the https
redirect and the ``ALLOWED_HOSTS`` check (:class:`HealthCheckMiddleware` comes straight after the
proxy headers). They say nothing but ``ok`` or which dependency is down.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.crypto import get_random_string

from equimentor.core import views, workers

log = logging.getLogger(__name__)


def database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means not ready
        log.warning("readyz: the database does not answer", exc_info=True)
        return False
    return True


def shared_cache() -> bool:
    key = "readyz:" + get_random_string(12)
    try:
        cache.set(key, "1", timeout=10)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # noqa: BLE001 - a cache that raises is down
        log.warning("readyz: the cache does not answer", exc_info=True)
        return False
    return ok


def worker() -> bool | None:
    """Has a worker beaten recently? None when tasks run in the asking process (no worker)."""
    if settings.TASKS_BACKEND == "immediate":
        return None
    try:
        return workers.alive()
    except Exception:  # noqa: BLE001 - cannot tell without the database: not ready
        return False


def readiness() -> dict[str, str]:
    """Each dependency: ``ok``, ``down`` or (worker only) ``not used``."""
    checks = {"database": database(), "cache": shared_cache()}
    checks["worker"] = worker() if checks["database"] else False
    return {
        name: ("not used" if ok is None else "ok" if ok else "down") for name, ok in checks.items()
    }


class HealthCheckMiddleware:
    """Answer GET/HEAD ``/healthz`` and ``/readyz`` before the https redirect and host check."""

    def __init__(self, get_response):

        self.get_response = get_response
        self.views = {"/healthz": views.healthz, "/readyz": views.readyz}

    def __call__(self, request):
        view = self.views.get(request.path_info)
        if view is not None and request.method in ("GET", "HEAD"):
            response = view(request)
            if request.method == "HEAD":  # the status is the answer (and gunicorn warns of a body)
                response.content = b""
            return response
        return self.get_response(request)
