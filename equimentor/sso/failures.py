"""Why a single sign-on attempt was refused: a precise reason for the log, a plain page for the
person. The page never says which check failed (that would help an attacker probe), and neither
the page nor the log carries personal data."""

from __future__ import annotations

import logging

from django.shortcuts import render

logger = logging.getLogger("equimentor.sso")

# reason code -> what the person reads
_UNSAFE = (
    "We could not complete your sign-in safely, so you have not been signed in. "
    "Please start again from the sign-in page."
)
MESSAGES = {
    # the response did not pass a protocol check (logged precisely, shown alike)
    "wrong_issuer": _UNSAFE,
    "wrong_audience": _UNSAFE,
    "expired": _UNSAFE,
    "replayed": _UNSAFE,
    "bad_signature": _UNSAFE,
    "nonce_mismatch": _UNSAFE,
    "invalid_response": _UNSAFE,
    "state_mismatch": (
        "This sign-in has already been used or was started in another window, "
        "so you have not been signed in. Please start again from the sign-in page."
    ),
    "unavailable": (
        "We could not reach your institution's sign-in service just now. Please try again in a few "
        "minutes, or ask for a sign-in link by email instead."
    ),
    "denied": "Your institution's sign-in service did not sign you in. You can try again.",
    "domain_not_served": (
        "Your institution's sign-in service cannot be used for that email address here. "
        "Please ask for a sign-in link by email instead."
    ),
    "unverified_email": (
        "Your institution's sign-in service did not confirm your email address, so we cannot "
        "sign you in with it. Please ask for a sign-in link by email instead."
    ),
    "inactive_account": "This account is not active. Please contact the scheme's coordinator.",
    "not_configured": (
        "Single sign-on is not available for that institution at the moment. "
        "Please ask for a sign-in link by email instead."
    ),
}
STATUS = {"unavailable": 502, "not_configured": 404}


class SignInRefused(Exception):
    """A sign-in that must not go ahead; ``reason`` is one of :data:`MESSAGES`."""

    def __init__(self, reason: str):
        assert reason in MESSAGES, reason
        super().__init__(reason)
        self.reason = reason


def refuse(request, reason: str, *, provider=None, protocol: str = ""):
    """Log the refusal (provider id and reason code only) and render the page for the person."""
    logger.warning(
        "sso sign-in refused: provider=%s protocol=%s reason=%s",
        getattr(provider, "pk", "-"),
        protocol or getattr(provider, "protocol", "-"),
        reason,
    )
    return render(
        request,
        "sso/problem.html",
        {"message": MESSAGES[reason], "offer_link": reason != "inactive_account"},
        status=STATUS.get(reason, 400),
    )
