"""One function per email the accounts app sends."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from equimentor.core.mail import send_email


def sign_in_link(user, raw_token: str) -> None:
    url = settings.SITE_URL + reverse("accounts:use_link", args=[raw_token])
    send_email(
        "sign_in_link",
        user.email,
        {"user": user, "url": url, "minutes": settings.SIGN_IN_LINK_MINUTES},
    )
