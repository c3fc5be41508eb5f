"""Show times in the signed-in person's own time zone; start every request's audit context afresh."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

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
