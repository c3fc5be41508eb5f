"""Templated email, sent by a task after the current transaction commits.

Each email has three templates under ``templates/emails/``:
``NAME.subject.txt``, ``NAME.txt`` (readable on its own) and ``NAME.html``.

:func:`send_email` renders now and puts the email in the outbox (``core.OutgoingEmail``) inside
the caller's transaction; once that commits, a task sends it (:mod:`equimentor.core.outbox`), with
retries if the mail server fails. A rolled-back change therefore sends nothing, and an email whose
``key`` was used before is not queued again.
"""

from __future__ import annotations

import base64
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from equimentor.core.models import OutgoingEmail
from equimentor.core.outbox import enqueue

log = logging.getLogger(__name__)
_FROM_CONTEXT = object()
_local = threading.local()


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
    name: str,
    to: str,
    context: dict[str, Any],
    *,
    attachments: list[tuple[str, bytes, str]] = (),
    key: str | None = None,
    scheme=_FROM_CONTEXT,
) -> None:
    """Render now; send once the surrounding transaction (if any) has committed.

    ``attachments`` are ``(filename, content, mimetype)`` triples, e.g. a meeting's .ics file.
    ``key`` names the email so that it is sent once however often this is called (a random key
    by default: every call is a new email). ``scheme`` files the email under a scheme, where its
    coordinators see whether it went; it is the context's ``scheme`` unless given (``None`` keeps
    it off every coordinator's list).
    """
    subject, text, html = render_email(name, context)
    if scheme is _FROM_CONTEXT:
        scheme = context.get("scheme")
    now = timezone.now()
    email = OutgoingEmail(
        key=key or uuid.uuid4().hex,
        template=name,
        scheme_id=getattr(scheme, "pk", None),
        to=to,
        subject=subject[:300],
        text=text,
        html=html,
        attachments=[
            [filename, base64.b64encode(content).decode("ascii"), mimetype]
            for filename, content, mimetype in attachments
        ],
        created_at=now,
        next_attempt_at=now,
    )
    pending = getattr(_local, "batch", None)
    if pending is not None:
        pending.append(email)
    else:
        queue([email])


@contextmanager
def batch() -> Iterator[None]:
    """Collect the emails of many :func:`send_email` calls and queue them together.

    For a large fan-out (a published round): one query stores them all and one task sends each
    ``BATCH`` of them, instead of a query and a task per email.
    """
    outer = getattr(_local, "batch", None)
    _local.batch = [] if outer is None else outer
    try:
        yield
        if outer is None:
            queue(_local.batch)
    finally:
        if outer is None:
            _local.batch = None


def queue(emails: list[OutgoingEmail]) -> list[OutgoingEmail]:
    """Store ``emails`` (skipping keys already used) and send them after commit."""
    if not emails:
        return []
    keys = [e.key for e in emails]
    used = set(OutgoingEmail.objects.filter(key__in=keys).values_list("key", flat=True))
    fresh, seen = [], set()
    for email in emails:
        if email.key not in used and email.key not in seen:
            seen.add(email.key)
            fresh.append(email)
    with transaction.atomic():
        created = OutgoingEmail.objects.bulk_create(fresh, batch_size=500)
        ids = [e.pk for e in created]
        if ids:
            transaction.on_commit(lambda: enqueue(ids), robust=True)
    log.debug("queued %d email(s)", len(ids))  # never the address or the content
    return created
