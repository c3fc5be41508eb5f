from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse

from equimentor.accounts.models import SignInLink
from tests.factories import UserFactory


def _ask(client, email, capture):
    with capture(execute=True):
        return client.post(reverse("accounts:login"), {"link-email": email})


def _path(body: str) -> str:
    return re.search(r"/accounts/sign-in/link/[^\s/]+/", body).group(0)


def test_a_link_signs_in_once(client, db, django_capture_on_commit_callbacks):
    user = UserFactory(email="erin@example.org")
    response = _ask(client, "ERIN@example.org", django_capture_on_commit_callbacks)
    assert "Check your email" in response.content.decode()
    path = _path(mail.outbox[0].body)
    # a GET (a mail scanner, say) does not use the link up
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    client.logout()
    response = client.post(path)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()


def test_an_expired_link_is_refused(client, db, django_capture_on_commit_callbacks):
    UserFactory(email="erin@example.org")
    _ask(client, "erin@example.org", django_capture_on_commit_callbacks)
    SignInLink.objects.update(expires_at=SignInLink.objects.get().created_at - timedelta(seconds=1))
    response = client.post(_path(mail.outbox[0].body))
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_unknown_addresses_get_the_same_answer_and_no_email(
    client, db, django_capture_on_commit_callbacks
):
    response = _ask(client, "nobody@example.org", django_capture_on_commit_callbacks)
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_password_is_optional_but_works(client, db):
    UserFactory(email="erin@example.org")  # factory sets a password
    response = client.post(
        reverse("accounts:login"), {"pw-email": "erin@example.org", "pw-password": "wrong"}
    )
    assert "do not match an account" in response.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"pw-email": "erin@example.org", "pw-password": "correct horse battery"},
    )
    assert response.status_code == 302


def test_next_must_be_on_this_site(client, db):
    UserFactory(email="erin@example.org")
    response = client.post(
        reverse("accounts:login"),
        {
            "pw-email": "erin@example.org",
            "pw-password": "correct horse battery",
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("portal:home")


def test_account_settings_keep_time_zone(client, db):
    user = UserFactory(email="erin@example.org")
    client.force_login(user)
    response = client.post(
        reverse("accounts:account"),
        {"save-account": "1", "full_name": "Erin N", "time_zone": "Asia/Kolkata"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Kolkata"
    response = client.post(
        reverse("accounts:account"),
        {"save-account": "1", "full_name": "Erin N", "time_zone": "Mars/Olympus"},
    )
    assert "Select a valid choice" in response.content.decode()


def test_sign_out_needs_post(client, db):
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_a_persons_time_zone_lasts_for_their_request_only(client, db):
    """Times are shown in the signed-in person's zone during her request; the thread goes back
    to the site's zone after it, so nothing run on it next (another request, a test) inherits
    hers."""
    from django.conf import settings
    from django.utils import timezone

    client.force_login(UserFactory(time_zone="Etc/GMT+5"))
    assert client.get("/").status_code == 200
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
