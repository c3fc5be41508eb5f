"""Shared by the API tests: tokens made through the real service and sent as a bearer, and
what a problem document (RFC 9457) for an HTTP error looks like."""

from __future__ import annotations

from http import HTTPStatus

from equimentor.api import services

PROBLEM_JSON = "application/problem+json"


def token(user, *scopes: str, scheme=None) -> str:
    """A new token of ``user`` with ``scopes`` (personal, or ``scheme``'s service token)."""
    _, raw = services.create_token(
        user, name="test", scopes=list(scopes), days=None, scheme=scheme, actor=user
    )
    return raw


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def if_match(client, url: str, **headers) -> dict:
    """The If-Match header for changing what ``url`` reads now (its ETag)."""
    return {"HTTP_IF_MATCH": client.get(url, **headers)["ETag"]}


def problem(status: int, detail: str) -> dict:
    """The problem document for a plain HTTP error (no type of our own)."""
    return {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
