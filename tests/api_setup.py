"""API tokens for the API tests: make one through the real service, send it as a bearer."""

from __future__ import annotations

from equimentor.api import services


def token(user, *scopes: str, scheme=None) -> str:
    """A new token of ``user`` with ``scopes`` (personal, or ``scheme``'s service token)."""
    _, raw = services.create_token(
        user, name="test", scopes=list(scopes), days=None, scheme=scheme, actor=user
    )
    return raw


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
