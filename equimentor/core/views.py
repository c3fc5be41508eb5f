"""Health checks and shared error pages (the home page is the portal app's)."""

from __future__ import annotations

from http import HTTPStatus

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
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


def _for_a_program(request) -> bool:
    """Whether the request was for the REST API, whose callers read JSON, not a page (#20)."""
    return request.path_info.startswith("/api/")


def _problem(status: int, detail: str) -> JsonResponse:
    """The API's error shape (RFC 9457, as ``api.problems`` answers inside the API's views) for
    a request under /api/ that Django refused before any API view ran."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    return JsonResponse(
        {**body, "detail": detail}, status=status, content_type="application/problem+json"
    )


@public
def bad_request(request, exception=None):
    """400: a request the site cannot act on; a ``QueryError`` says why (see ``core.params``)."""

    message = str(exception) if isinstance(exception, QueryError) else ""
    if _for_a_program(request):
        return _problem(400, message or "Bad request.")
    return render(request, "400.html", {"message": message}, status=400)


@public
def not_found(request, exception=None):
    """404: the page, or under /api/ the API's JSON error (an address no route matches, such as a
    slug with a space, or an id no database can hold, never reaches the API's own views)."""
    if _for_a_program(request):
        return _problem(404, "Not found.")
    return defaults.page_not_found(request, exception)
