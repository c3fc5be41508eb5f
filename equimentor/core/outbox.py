"""Sending the outbox: claim each email, send it, record what happened.

Each email is claimed with one conditional UPDATE (queued or due for a retry, or stuck in
"sending" past its lease), so two tasks given the same email never both send it. A failure the
mail server calls temporary (4xx, or no connection) is retried later with growing delays; a
refused address (5xx), or too many attempts, fails the email with the reason, which the scheme's
coordinators see. Every email carries a Message-ID derived from its key, so the rare resend after
a worker died between the mail server's "accepted" and our "sent" is one message to the
recipient's mail system, not two.

:func:`sweep` runs every minute (a periodic job): it hands the worker any email that is due and
has no task waiting for it (a retry, a lost task, a worker killed mid-send).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone

from equimentor.core.models import OutgoingEmail
from equimentor.core.tasks import task

log = logging.getLogger(__name__)
Status = OutgoingEmail.Status
SWEEP_LIMIT = 2000
# How many emails one delivery task sends (over one connection to the mail server).
BATCH = 50


def message_id(key: str) -> str:
    """The Message-ID of the email with ``key``: the same on every attempt."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "equimentor.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after failed attempt number ``attempts`` (1, 4, 16, 64 ... minutes)."""
    return timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


def _due(now) -> Q:
    return Q(status__in=[Status.QUEUED, Status.RETRYING], next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def claim(pk: int) -> str | None:
    """Claim email ``pk`` for one attempt; the claim token, or None if it is not due."""
    now = timezone.now()
    token = secrets.token_hex(16)
    claimed = (
        OutgoingEmail.objects.filter(_due(now), pk=pk)
        .exclude(status=Status.SENT)
        .update(
            status=Status.SENDING,
            claim=token,
            claimed_until=now + timedelta(seconds=settings.EMAIL_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    return token if claimed else None


def _message(email: OutgoingEmail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        email.subject,
        email.text,
        settings.DEFAULT_FROM_EMAIL,
        [email.to],
        connection=connection,
        headers={"Message-ID": message_id(email.key)},
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    for filename, content, mimetype in email.attachments:
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


def _permanent(exc: Exception) -> bool:
    """Is this the recipient's address or the message refused for good (not worth retrying)?"""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    if isinstance(exc, smtplib.SMTPDataError):
        return 500 <= exc.smtp_code < 600
    return False


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        detail = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        return f"The mail server refused the address ({detail})."
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"The mail server answered {exc.smtp_code}: {text}"
    if isinstance(exc, smtplib.SMTPException):
        return f"The mail server failed: {exc}"
    return f"Could not reach the mail server ({type(exc).__name__}: {exc})."


def _finish(pk: int, token: str, **fields) -> None:
    OutgoingEmail.objects.filter(pk=pk, claim=token).update(claim="", claimed_until=None, **fields)


@task()
def deliver_emails(ids: list[int]) -> dict:
    """The task: send the outbox emails ``ids`` that are still due."""
    return deliver(ids)


def enqueue(ids: list[int]) -> None:
    """Hand ``ids`` to delivery tasks, :data:`BATCH` at a time."""
    OutgoingEmail.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    for start in range(0, len(ids), BATCH):
        deliver_emails.enqueue(ids[start : start + BATCH])


def deliver(ids: list[int]) -> dict:
    """Send each of ``ids`` that is due, over one connection; counts by outcome."""
    done = {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
    connection = None
    try:
        for pk in ids:
            token = claim(pk)
            if token is None:
                done["skipped"] += 1  # sent already, or another task has it
                continue
            email = OutgoingEmail.objects.get(pk=pk)
            try:
                if connection is None:
                    connection = get_connection()
                    connection.open()
                _message(email, connection).send()
            except (smtplib.SMTPException, OSError) as exc:
                if connection is not None:
                    try:
                        connection.close()
                    except (smtplib.SMTPException, OSError):
                        pass
                    connection = None
                outcome = _failed(email, token, exc)
                done[outcome] += 1
                log.warning("email %s %s (%s)", pk, outcome, type(exc).__name__)
                continue
            _finish(
                pk,
                token,
                status=Status.SENT,
                sent_at=timezone.now(),
                reason="",
                text="",
                html="",
                attachments=[],
            )
            done["sent"] += 1
    finally:
        if connection is not None:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass
    return done


def _failed(email: OutgoingEmail, token: str, exc: Exception) -> str:
    reason = _reason(exc)[:500]
    if _permanent(exc) or email.attempts >= settings.EMAIL_MAX_ATTEMPTS:
        if not _permanent(exc):
            reason = f"Gave up after {email.attempts} attempts. {reason}"[:500]
        _finish(email.pk, token, status=Status.FAILED, reason=reason, text="", html="")
        return "failed"
    _finish(
        email.pk,
        token,
        status=Status.RETRYING,
        reason=reason,
        next_attempt_at=timezone.now() + retry_delay(email.attempts),
        enqueued_at=None,
    )
    return "retrying"


def sweep(now=None, *, rekick: timedelta = timedelta(minutes=10)) -> dict:
    """Enqueue delivery for every due email that has no task waiting for it.

    An email counts as waiting if it was handed to a task less than ``rekick`` ago; a
    duplicate task is harmless (the claim makes it a no-op), a missing one is not.
    """
    now = now or timezone.now()
    ids = list(
        OutgoingEmail.objects.filter(_due(now))
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - rekick))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    if ids:
        enqueue(ids)
    return {"emails_requeued": len(ids)} if ids else {}
