"""Shared by the API write tests (#20): bearer tokens for the personas, and the headers to send."""

from __future__ import annotations

from equimentor.api import services


def token(user, *scopes, scheme=None) -> str:
    """A new token of ``user`` with ``scopes`` (a scheme's service token with ``scheme``)."""
    _, raw = services.create_token(
        user, name="test", scopes=list(scopes), days=None, scheme=scheme, actor=user
    )
    return raw


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
