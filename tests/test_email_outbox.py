"""Every email goes through the outbox: sent by a task after commit, once, retried with growing
delays when the mail server fails, and recorded for the scheme's coordinators."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from equimentor.core import outbox
from equimentor.core.mail import send_email
from equimentor.core.models import OutgoingEmail
from tests import smtp

Status = OutgoingEmail.Status


def _welcome(scheme, to="dana@example.org", **kwargs):
    send_email(
        "already_registered",
        to,
        {"name": "Dana", "scheme": scheme, "sign_in_url": "https://example.org/in"},
        **kwargs,
    )


def test_an_email_is_sent_once_after_commit_and_recorded(
    scheme_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _welcome(scheme_a)
        assert mail.outbox == []  # nothing leaves before the change commits
    assert len(mail.outbox) == 1
    email = OutgoingEmail.objects.get()
    assert email.status == Status.SENT and email.attempts == 1 and email.scheme == scheme_a
    assert email.to == "dana@example.org" and email.sent_at is not None
    assert email.text == "" and email.html == ""  # the body (maybe a link) is not kept
    assert mail.outbox[0].extra_headers["Message-ID"] == outbox.message_id(email.key)


def test_a_rolled_back_change_sends_nothing(scheme_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _welcome(scheme_a)
            raise RuntimeError
    assert mail.outbox == []
    assert not OutgoingEmail.objects.exists()


def test_a_key_sends_once_however_often_it_is_asked_for(
    scheme_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _welcome(scheme_a, key="welcome:1")
        _welcome(scheme_a, key="welcome:1")
    with django_capture_on_commit_callbacks(execute=True):
        _welcome(scheme_a, key="welcome:1")
    assert len(mail.outbox) == 1
    assert OutgoingEmail.objects.count() == 1


def test_a_duplicated_or_retried_task_never_sends_twice(
    scheme_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _welcome(scheme_a)
    pk = OutgoingEmail.objects.get().pk
    assert outbox.deliver([pk, pk]) == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 2}
    assert len(mail.outbox) == 1


def _queued(scheme):
    """An email in the outbox whose task has not run (as if the worker were busy)."""
    with transaction.atomic():
        _welcome(scheme)
    return OutgoingEmail.objects.latest("id")


def test_a_temporary_failure_is_retried_later_and_sent_once(scheme_a):
    email = _queued(scheme_a)
    with smtp.server(replies=["451 4.3.0 Try again later"]) as server:
        with override_settings(**smtp.settings_for(smtp.port())):
            assert outbox.deliver([email.pk])["retrying"] == 1
            email.refresh_from_db()
            assert email.status == Status.RETRYING and email.attempts == 1
            assert "451" in email.reason and "Try again later" in email.reason
            assert email.next_attempt_at > timezone.now() + timedelta(seconds=55)
            assert outbox.deliver([email.pk])["skipped"] == 1  # not due yet
            assert outbox.sweep() == {}  # nothing is due, nothing is handed to the worker
            with time_machine.travel(timezone.now() + timedelta(minutes=2)):
                assert outbox.sweep() == {"emails_requeued": 1}  # the task runs at once here
    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 2 and email.reason == ""
    assert len(server.received) == 1
    assert server.received[0]["Message-ID"] == outbox.message_id(email.key)


def test_the_delays_grow(settings):
    settings.EMAIL_RETRY_SECONDS = 60
    assert [outbox.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 240, 960, 3840]


def test_a_refused_address_fails_at_once_with_the_reason(scheme_a):
    email = _queued(scheme_a)
    with smtp.server() as server:
        server.replies = []
        with override_settings(**smtp.settings_for(smtp.port())):
            # the address is refused at RCPT: the handler refuses it for this one test
            async def refuse(server_, session, envelope, address, options):
                return "550 5.1.1 No such mailbox"

            server.handle_RCPT = refuse
            assert outbox.deliver([email.pk])["failed"] == 1
    email.refresh_from_db()
    assert email.status == Status.FAILED and email.attempts == 1
    assert email.reason.startswith("The mail server refused the address (550")
    assert server.received == []


def test_an_unreachable_server_is_retried_then_given_up(scheme_a, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    email = _queued(scheme_a)
    # nothing listens on this port: every attempt fails to connect
    with override_settings(**smtp.settings_for(smtp.port())):
        assert outbox.deliver([email.pk])["retrying"] == 1
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert outbox.deliver([email.pk])["failed"] == 1
    email.refresh_from_db()
    assert email.status == Status.FAILED and email.attempts == 2
    assert email.reason.startswith("Gave up after 2 attempts. Could not reach the mail server")


def test_an_email_stuck_in_sending_is_taken_over_after_its_lease(scheme_a):
    """A worker killed mid-send leaves the email 'sending'; once the lease runs out it goes."""
    email = _queued(scheme_a)
    assert outbox.claim(email.pk) is not None  # the worker that dies
    assert outbox.deliver([email.pk])["skipped"] == 1
    assert outbox.sweep() == {}
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert outbox.sweep() == {"emails_requeued": 1}
    email.refresh_from_db()
    assert email.status == Status.SENT and email.attempts == 2
    assert len(mail.outbox) == 1


# -- the coordinator's record ---------------------------------------------------------------------


@pytest.fixture
def emails_a(scheme_a, scheme_b):
    email = _queued(scheme_a)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.FAILED, reason="The mail server refused the address (550 No such mailbox)."
    )
    with transaction.atomic():
        _welcome(scheme_a, to="erin@example.org")
        _welcome(scheme_b, to="other-scheme@example.org")
        send_email("sg_new_concern", "lead@example.org", {"link": "https://example.org/c"})
        send_email(  # as evaluation emails are: kept off the coordinator's list
            "already_registered",
            "eval@example.org",
            {"name": "E", "scheme": scheme_a, "sign_in_url": "x"},
            scheme=None,
        )
    return scheme_a


def test_the_coordinator_sees_what_happened_to_the_schemes_emails(client, alice, emails_a):
    client.force_login(alice)
    response = client.get(reverse("backoffice:emails", args=["scheme-a"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "dana@example.org" in page and "erin@example.org" in page
    assert "The mail server refused the address (550 No such mailbox)." in page
    assert "Failed (1)" in page and "Queued (1)" in page
    for other in ("other-scheme@example.org", "lead@example.org", "eval@example.org"):
        assert other not in page
    failed = client.get(reverse("backoffice:emails", args=["scheme-a"]), {"status": "failed"})
    assert "dana@example.org" in failed.content.decode()
    assert "erin@example.org" not in failed.content.decode()


def test_the_email_list_costs_the_same_for_many_emails(
    client, alice, emails_a, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("backoffice:emails", args=["scheme-a"])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    with transaction.atomic():
        for n in range(60):
            _welcome(emails_a, to=f"p{n}@example.org")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_no_one_else_sees_a_schemes_emails(client, charlie, bob, emails_a):
    url = reverse("backoffice:emails", args=["scheme-a"])
    for person in (charlie, bob):
        client.force_login(person)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
