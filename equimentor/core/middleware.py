"""Show times in the signed-in person's own time zone; start every request's audit context afresh;
keep a signed-in person's pages out of the browser's and proxies' caches."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from equimentor.core import audit


class UserTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name)) if tz_name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # the person's zone is the request's, not the thread's: nothing run on this thread
            # after the response (no response here streams) inherits it
            timezone.deactivate()


class AuditContextMiddleware:
    """No request inherits the API token an earlier one on the same thread acted through
    (``audit.acting_through_token``): the context is cleared before and after each."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reset = audit._via_token.set(None)
        try:
            return self.get_response(request)
        finally:
            audit._via_token.reset(reset)


class PrivatePagesMiddleware:
    """A response to a signed-in person, or to an address holding a link's secret (a
    registration, an invitation, a sign-in link: its ``token``), is marked ``Cache-Control:
    no-store`` (Django's ``add_never_cache_headers``): neither the browser nor a cache on the way
    keeps it, so on a shared computer — a ward's, a library's — the next person cannot bring
    a case, a profile or a report back with the Back button after sign-out. A response that
    says how it may be cached (the API reference, a calendar feed) keeps its own. Public
    pages seen signed out are not marked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and (
            request.user.is_authenticated
            or "token" in getattr(request.resolver_match, "kwargs", {})
        ):
            add_never_cache_headers(response)
        return response
