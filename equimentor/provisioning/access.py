"""Who may use SCIM: a scheme's service token (``Authorization: Bearer ...``), whose maker still
coordinates the scheme, holding ``provisioning:read`` to read and ``provisioning:write`` to change.

:func:`scheme_service_token` states it on every SCIM view and enforces it: the token is checked by
the API's own rules (``api.services.token_in_use``: unknown, revoked, expired, an inactive owner,
a maker who no longer coordinates), then its kind and scope; the request then acts as the token's
maker, within the token's scheme only (``request.scim_scheme``: every query of the views is
narrowed to it), and every audit event names the token. Sessions and cookies are not used at all
(no CSRF token is needed: a browser never sends this header by itself). Each token's requests are
counted by the API's per-token rate limit. Refusals are SCIM error documents.
"""

from __future__ import annotations

import json
from functools import wraps

from django.http import HttpResponse
from rest_framework.authentication import get_authorization_header

from equimentor.api import services as api_services
from equimentor.api.auth import TokenRateThrottle
from equimentor.core import audit

READ, WRITE = "provisioning:read", "provisioning:write"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
CONTENT_TYPE = "application/scim+json"
REALM = 'Bearer realm="scim"'
SAFE = {"GET", "HEAD", "OPTIONS"}


def error(status: int, detail: str, scim_type: str | None = None, **headers) -> HttpResponse:
    """A SCIM error document (RFC 7644, 3.12): ``status`` as a string, as the RFC has it."""
    body = {"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    response = HttpResponse(json.dumps(body), content_type=CONTENT_TYPE, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class _Shim:
    """What the API's per-token throttle reads of a request (its token)."""

    def __init__(self, token):
        self.auth = token


def _refusal(request, reads_by_post: bool):
    """The token of this request and None, or None and the answer refusing it."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != b"bearer":
        return None, error(
            401,
            "Send the scheme's service token as 'Authorization: Bearer <token>'.",
            WWW_Authenticate=REALM,
        )
    invalid = f'{REALM}, error="invalid_token"'
    if len(parts) != 2:
        return None, error(
            401,
            "Send the token as 'Authorization: Bearer <token>', with nothing else.",
            WWW_Authenticate=invalid,
        )
    try:
        token = api_services.token_in_use(parts[1].decode("ascii"))
    except UnicodeDecodeError:
        return None, error(401, "Invalid token.", WWW_Authenticate=invalid)
    except api_services.TokenRefused as exc:
        return None, error(401, str(exc), WWW_Authenticate=invalid)
    if token.scheme_id is None:
        return None, error(
            403,
            "SCIM provisioning needs a scheme's service token (made by one of its coordinators "
            "on the scheme's API tokens page): a personal token does not say which scheme.",
            WWW_Authenticate=f'{REALM}, error="insufficient_scope"',
        )
    scope = READ if request.method in SAFE or reads_by_post else WRITE
    if scope not in token.scopes:
        return None, error(
            403,
            f"This token lacks the scope {scope}.",
            WWW_Authenticate=f'{REALM}, error="insufficient_scope", scope="{scope}"',
        )
    throttle = TokenRateThrottle()
    if not throttle.allow_request(_Shim(token), None):
        wait = throttle.wait()
        return None, error(
            429,
            "Too many requests with this token: wait and retry.",
            Retry_After=str(int(wait or 1)),
        )
    return token, None


def scheme_service_token(view=None, *, reads_by_post: bool = False):
    """A scheme's service token with the provisioning scope for the method (``reads_by_post``:
    a POST that only reads, such as ``/Users/.search``)."""

    def decorate(view):
        @wraps(view)
        def inner(request, *args, **kwargs):
            token, refusal = _refusal(request, reads_by_post)
            if refusal is not None:
                return refusal
            audit.acting_through_token(token.pk)
            request.user = token.user
            request.scim_token, request.scim_scheme = token, token.scheme
            return view(request, *args, **kwargs)

        inner.csrf_exempt = True  # bearer tokens only; a cookie is never read
        inner.access_rule = "scheme-service-token:coordinator:provisioning"
        return inner

    return decorate(view) if view is not None else decorate
