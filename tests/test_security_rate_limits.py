"""Rate limits a shared network can live with (#23, and #14's "sign-in for people who come twice
a year"). Before, 20 sign-in posts an hour from one address and even a right password was
refused: a whole university behind one address (or everyone behind the proxy, whose address it
was) shared that count. Now: per real client address with generous figures, per account and per
email address with tight ones (``core.limits``, django-axes per account)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.enrolment.models import ExpressionOfInterest
from tests import factories

UNIVERSITY = "192.0.2.10"  # one address for a whole campus (NAT)
LOGIN = "/accounts/sign-in/"
PASSWORD = "correct horse battery"


def _password(client, email, password=PASSWORD, address=UNIVERSITY, **extra):
    return client.post(
        LOGIN, {"pw-email": email, "pw-password": password}, REMOTE_ADDR=address, **extra
    )


def test_a_campus_behind_one_address_signs_in_all_day(
    client, db, django_capture_on_commit_callbacks
):
    """60 people sign in with their passwords and 60 ask for links from one address in an hour,
    with a few mistyped passwords among them: every right password works, every link is sent."""
    for n in range(60):
        factories.UserFactory(email=f"staff{n}@uni.example")
    for n in range(60):
        if n % 4 == 0:
            assert _password(client, f"staff{n}@uni.example", "typo").status_code == 200
        response = _password(client, f"staff{n}@uni.example")
        assert response.status_code == 302, n
        client.logout()
    for n in range(60):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                LOGIN, {"link-email": f"staff{n}@uni.example"}, REMOTE_ADDR=UNIVERSITY
            )
        assert "<h1>Check your email</h1>" in response.content.decode(), n
    assert len(mail.outbox) == 60


def test_a_guesser_moving_between_addresses_is_stopped_per_account(client, db, settings):
    factories.UserFactory(email="erin@uni.example")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _password(client, "erin@uni.example", f"guess {n}", address=f"198.51.100.{n}")
    locked = _password(client, "erin@uni.example", address="203.0.113.50")
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    assert "ask for a sign-in link" in locked.content.decode()
    # her colleagues on the addresses the guesser used are not affected
    factories.UserFactory(email="fay@uni.example")
    assert _password(client, "fay@uni.example", address="198.51.100.0").status_code == 302


def test_one_address_failing_everywhere_is_stopped_per_address(client, db, settings):
    settings.RATELIMITS = {**settings.RATELIMITS, "sign_in_failures_per_address": "30/h"}
    for n in range(31):
        _password(client, f"nobody{n}@uni.example", "guess", address="198.51.100.7")
    factories.UserFactory(email="gil@uni.example")
    refused = _password(client, "gil@uni.example", address="198.51.100.7")
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many attempts from your network" in refused.content.decode()
    # from elsewhere she signs in
    assert _password(client, "gil@uni.example", address="198.51.100.8").status_code == 302


def test_links_for_one_email_address_are_limited(
    client, db, settings, django_capture_on_commit_callbacks
):
    factories.UserFactory(email="hal@uni.example")
    limit = int(settings.RATELIMITS["sign_in_links_per_email"].split("/")[0])
    for n in range(limit + 3):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                LOGIN, {"link-email": "HAL@uni.example"}, REMOTE_ADDR=f"198.51.100.{n}"
            )
    assert "Too many attempts" in response.content.decode()
    assert len(mail.outbox) == limit  # the mailbox is not flooded from many addresses
    # the same page for an address with no account: the limit says nothing about accounts
    for _ in range(limit + 1):
        response = client.post(LOGIN, {"link-email": "ivy@uni.example"}, REMOTE_ADDR="192.0.2.99")
    assert "Too many attempts" in response.content.decode()


@pytest.mark.parametrize("behind_proxy", [True, False])
def test_the_key_is_the_real_client_address(client, db, settings, behind_proxy):
    """Behind a trusted proxy each client counts apart (not the proxy's one address); a
    forwarded header from anyone else is not believed, so it cannot dodge the count."""
    settings.RATELIMITS = {**settings.RATELIMITS, "sign_in_failures_per_address": "5/h"}
    settings.TRUSTED_PROXIES = ["10.0.0.1"] if behind_proxy else []
    for n in range(6):  # one client fails six times, saying different things about itself
        _password(
            client,
            f"x{n}@uni.example",
            "guess",
            address="10.0.0.1" if behind_proxy else "198.51.100.20",
            HTTP_X_FORWARDED_FOR=f"198.51.100.20, 10.0.0.{100 + n}"
            if not behind_proxy
            else "198.51.100.20",
        )
    factories.UserFactory(email="jo@uni.example")
    same = _password(
        client,
        "jo@uni.example",
        address="10.0.0.1" if behind_proxy else "198.51.100.20",
        HTTP_X_FORWARDED_FOR="198.51.100.20" if behind_proxy else "203.0.113.1",
    )
    assert "Too many attempts from your network" in same.content.decode()
    if behind_proxy:  # another client through the same proxy is not held up
        other = _password(
            client, "jo@uni.example", address="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.21"
        )
        assert other.status_code == 302


def test_expressions_of_interest_from_one_campus(client, scheme_a, institution):
    url = reverse("schemes:detail", args=[scheme_a.slug])
    for n in range(40):
        response = client.post(
            url,
            {
                "name": f"Person {n}",
                "email": f"p{n}@uni.example",
                "institution": institution.pk,
                "institution_other": "",
                "eligible_0": "on",
                "eligible_1": "on",
            },
            REMOTE_ADDR=UNIVERSITY,
        )
        assert "Too many requests" not in response.content.decode(), n
    assert ExpressionOfInterest.objects.count() == 40
