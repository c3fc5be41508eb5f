"""Link secrets never reach the log: Django logs the path of every 4xx and 5xx response, and a
registration form sent back with an error is one (400) on a link that still works."""

from __future__ import annotations

import contextlib
import io
import logging
import secrets

from django.urls import reverse

from equimentor.lib.logsafe import HideSecretsAndAddresses, hide
from tests import factories


@contextlib.contextmanager
def log_output():
    """What the configured log handler (settings.LOGGING's console) writes, while inside."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, HideSecretsAndAddresses) for f in h.filters)
    ]
    assert handlers, "the root logger's console handler has no HideSecretsAndAddresses filter"
    out = io.StringIO()
    old = [h.setStream(out) for h in handlers]
    try:
        yield out
    finally:
        for h, stream in zip(handlers, old, strict=True):
            h.setStream(stream)


def test_a_registration_link_sent_back_with_errors_is_not_logged(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    link = factories.welcome_link(
        client, scheme_a, django_capture_on_commit_callbacks, institution=institution.pk
    )
    token = link.rstrip("/").rsplit("/", 1)[-1]
    with log_output() as out:
        response = client.post(link, {})  # nothing filled in: the form comes back
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    written = out.getvalue()
    assert "WARNING django.request Bad Request: /me/register/[link token]/" in written
    assert token not in written
    # the link still works: it was never spent
    assert client.get(link).status_code == 200


def test_an_unknown_calendar_address_is_logged_without_its_secret(client, db):
    token = secrets.token_urlsafe(32)
    with log_output() as out:
        assert client.get(reverse("training:feed", args=[token])).status_code == 404
    written = out.getvalue()
    assert "Not Found: /calendar/[link token].ics" in written
    assert token not in written


def test_what_is_hidden_and_what_is_not():
    token = secrets.token_urlsafe(32)
    assert hide(f"GET /me/register/{token}/ HTTP/1.1") == "GET /me/register/[link token]/ HTTP/1.1"
    assert hide(f"/staff-invitations/{token}/") == "/staff-invitations/[link token]/"
    assert hide(f"/x/?token={token}&next=/manage/") == "/x/?token=[link token]&next=/manage/"
    assert (
        hide("DETAIL:  Key (email)=(dana.o-brien+mentoring@med.example.ac.uk) already exists.")
        == "DETAIL:  Key (email)=([email]) already exists."
    )
    for kept in (
        "Bad Request: /manage/horizons/participants/12/",
        "Not Found: /schemes/horizons-2026-clinical-academic-mentoring/",  # a long slug: dashes
        "email 1234 sent (2 tries)",
        f"a sentence that mentions {'x' * 45} without an address",
    ):
        assert hide(kept) == kept


def test_a_traceback_is_hidden_too():
    token = secrets.token_urlsafe(32)
    try:
        raise ValueError(f"no such link /me/register/{token}/ for dana@example.org")
    except ValueError:
        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            (f"/me/register/{token}/",),
            exc_info=__import__("sys").exc_info(),
        )
    HideSecretsAndAddresses().filter(record)
    formatted = logging.Formatter().format(record)
    assert token not in formatted
    assert "Internal Server Error: /me/register/[link token]/" in formatted
    assert "ValueError: no such link /me/register/[link token]/ for [email]" in formatted
    assert "dana@" not in formatted


def test_every_handler_that_writes_a_request_line_hides_them():
    """Django's default logging has its own handlers on "django" (the console, with DEBUG on)
    and "django.server" (the development server, the demo's); none of them may write a path
    unfiltered."""
    for name in ("django.request", "django.server", "django.security.csrf", "equimentor"):
        logger = logging.getLogger(name)
        reached = []
        while logger:
            reached += logger.handlers
            logger = logger.parent if logger.propagate else None
        assert reached, name
        for handler in reached:
            if type(handler).__module__.startswith("_pytest"):
                continue  # (pytest's own capture, not the product's log)
            assert any(isinstance(f, HideSecretsAndAddresses) for f in handler.filters), (
                name,
                handler,
            )
