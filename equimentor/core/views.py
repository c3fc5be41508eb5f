"""Health checks and shared error pages (the home page is the portal app's)."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from equimentor.core import health
from equimentor.core.access import public
from equimentor.core.params import QueryError


@public
@never_cache
def healthz(request):
    """Liveness: 200 while this process answers requests. Checks nothing else (see readyz)."""
    return JsonResponse({"status": "ok"})


@public
@never_cache
def readyz(request):
    """Readiness: 200 when the database, the cache and (if tasks need one) a worker answer; 503
    otherwise, naming only which of them is down."""
    checks = health.readiness()
    ready = all(state != "down" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def rate_limited(request, exception=None):
    return render(request, "core/rate_limited.html", status=429)


@public
def bad_request(request, exception=None):
    """400: a request the site cannot act on; a ``QueryError`` says why (see ``core.params``)."""

    message = str(exception) if isinstance(exception, QueryError) else ""
    return render(request, "400.html", {"message": message}, status=400)
