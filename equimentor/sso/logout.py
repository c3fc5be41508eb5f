"""Signing out of a session that began at an institution's provider: the local session always
ends; then the person is offered the provider's own sign-out (single logout) where it has one."""

from __future__ import annotations

from django.shortcuts import redirect

from equimentor.sso.services import SESSION_KEY

OFFER_KEY = "sso_logout_offer"


def offer(request) -> dict | None:
    """What single logout will need, read before the session ends (None: not an SSO session)."""
    data = request.session.get(SESSION_KEY)
    if not data:
        return None
    return {"provider": data["provider"], "protocol": data["protocol"], "logout": data["logout"]}


def remember(request, data: dict):
    """After sign-out: keep the offer in the new, signed-out session and show it."""
    request.session[OFFER_KEY] = data
    return redirect("sso:signed_out")
