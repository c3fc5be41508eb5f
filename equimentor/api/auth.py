"""API tokens at the door: ``Authorization: Bearer <token>``, its scopes, its rate limit.

``BearerTokenAuthentication`` comes first in the settings' ``DEFAULT_AUTHENTICATION_CLASSES`` (no
API view names its own), so every API request with a bearer token passes through it whatever the
view's permissions say. It needs no CSRF token (a browser never sends this header by itself);
sessions still do (``SessionAuthentication``, after it). A token that does not work is a 401 with
the reason; once it is known, ``TokenScope`` checks it against the endpoint table
(``api.scopes``) before the view's own permissions run: a scope it lacks, an endpoint missing from
the table, another scheme's records or a person's own for a service token are a 403. Then the view
decides exactly as for the token's owner. Every audit event of the request names the token
(``core.audit.acting_through_token``).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import SimpleRateThrottle

from equimentor.accounts.models import APIToken
from equimentor.api import services
from equimentor.api.scopes import PERSONAL, endpoint_of
from equimentor.core import audit, limits

REALM = 'Bearer realm="api"'
TOO_MANY_FAILURES = (
    "Too many requests with a token that does not work from this address; try again later."
)


class InsufficientScope(exceptions.PermissionDenied):
    """403 with RFC 6750's ``insufficient_scope`` challenge (DRF sends ``auth_header``)."""

    def __init__(self, detail: str, scope: str = ""):
        super().__init__(detail)
        self.auth_header = f'{REALM}, error="insufficient_scope"' + (
            f', scope="{scope}"' if scope else ""
        )


class BearerTokenAuthentication(BaseAuthentication):
    """A personal or scheme service token in ``Authorization: Bearer ...``."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not ours: a session, or nobody
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the token as 'Authorization: Bearer <token>', with nothing else."
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        # Tokens are too long to guess, but an address that keeps sending ones that do not work
        # (someone trying, or a script left with a revoked token) waits, as for failed password
        # sign-ins: counted per real client address (``core.limits``), working tokens never
        # counted, ``RATELIMIT_API_TOKEN_FAILURES`` an hour.
        if limits.exceeded(request._request, "api_token_failures_per_address", count=False):
            raise exceptions.Throttled(detail=TOO_MANY_FAILURES)
        try:
            token = services.token_in_use(raw)
        except services.TokenRefused as exc:
            if limits.exceeded(request._request, "api_token_failures_per_address"):  # counts it
                raise exceptions.Throttled(detail=TOO_MANY_FAILURES) from exc
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        audit.acting_through_token(token.pk)
        view = request.parser_context.get("view") if request.parser_context else None
        TokenScope().check(request, view, token)
        return token.user, token

    def authenticate_header(self, request):
        """A 401 challenge for requests that sent a bearer token. A request with no credentials
        at all keeps the answer the session API always gave it (403)."""
        parts = get_authorization_header(request).split()
        if parts and parts[0].lower() == self.keyword:
            return f'{REALM}, error="invalid_token"'
        return None


class TokenScope(BasePermission):
    """A token reaches an endpoint only if the endpoint table lists it, the token holds the
    scope it needs for this method, and (for a scheme's service token) it is that scheme's.
    Requests without a token pass (the view's own permissions decide)."""

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, APIToken):
            self.check(request, view, request.auth)
        return True

    def check(self, request, view, token: APIToken) -> None:
        endpoint = endpoint_of(type(view)) if view is not None else None
        if endpoint is None:
            raise InsufficientScope("This endpoint cannot be used with an API token.")
        scope = endpoint.scope(request.method)
        if scope not in token.scopes:
            raise InsufficientScope(f"This token lacks the scope {scope}.", scope)
        if token.scheme_id is not None:
            if endpoint.serves == PERSONAL:
                raise InsufficientScope(
                    "A scheme's service token reads and changes the scheme's records, not a "
                    "person's own: use a personal token."
                )
            if view.kwargs.get("slug") != token.scheme.slug:
                raise InsufficientScope(f"This service token is for {token.scheme.slug} only.")


class TokenRateThrottle(SimpleRateThrottle):
    """``API_TOKEN_RATE`` requests per token (e.g. ``120/min``), counted in the default cache
    (Redis in production, shared by every process). Sessions are not limited here."""

    scope = "api_token"

    def get_rate(self):
        return settings.API_TOKEN_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, APIToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
