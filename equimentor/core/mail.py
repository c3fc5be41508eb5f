"""Send one templated email after the current transaction commits.

Each email has three templates under ``templates/emails/``:
``NAME.subject.txt``, ``NAME.txt`` (readable on its own) and ``NAME.html``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

log = logging.getLogger(__name__)


def absolute_url(name: str, *args) -> str:
    """The full address of a page, for links in emails."""
    return settings.SITE_URL + reverse(name, args=args)


def render_email(name: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Return (subject, text, html) for the email called ``name``."""
    ctx = {"site_url": settings.SITE_URL, "site_name": settings.SITE_NAME, **context}
    subject = " ".join(render_to_string(f"emails/{name}.subject.txt", ctx).split())
    text = render_to_string(f"emails/{name}.txt", ctx).strip() + "\n"
    html = render_to_string(f"emails/{name}.html", ctx)
    return subject, text, html


def send_email(
    name: str, to: str, context: dict[str, Any], *, attachments: list[tuple[str, bytes, str]] = ()
) -> None:
    """Render now, send once the surrounding transaction (if any) has committed.

    ``attachments`` are ``(filename, content, mimetype)`` triples, e.g. a meeting's .ics file.
    """
    subject, text, html = render_email(name, context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(*attachment)

    def _send() -> None:
        message.send()
        log.debug("sent email %s", name)  # never the address or the content

    transaction.on_commit(_send)
