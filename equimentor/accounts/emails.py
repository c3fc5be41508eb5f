"""One function per email the accounts app sends."""

from __future__ import annotations

from django.conf import settings

from equimentor.core.mail import absolute_url, send_email


def sign_in_link(user, raw_token: str) -> None:
    url = absolute_url("accounts:use_link", raw_token)
    send_email(
        "sign_in_link",
        user.email,
        {"user": user, "url": url, "minutes": settings.SIGN_IN_LINK_MINUTES},
    )
