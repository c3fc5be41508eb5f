"""Two-factor sign-in for staff with access to identity data or cases; throttled sign-ins.

The suite runs with ``REQUIRE_STAFF_2FA`` off (see ``equimentor/privacy/twofactor.py``); these
tests turn it on.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories


@pytest.fixture
def require_2fa(settings):
    settings.REQUIRE_STAFF_2FA = True


def code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_staff_are_sent_to_set_up_then_verify(client, alice, require_2fa, time_machine):
    time_machine.move_to("2030-01-01 09:00Z", tick=False)
    client.force_login(alice)
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:two_factor_setup"))
    page = client.get(response["Location"])
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=alice)
    wrong = f"{(int(code(device)) + 1) % 10**6:06d}"  # never the right code by chance
    assert client.post(reverse("privacy:two_factor_setup"), {"code": wrong}).status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    device.throttle_reset()
    response = client.post(reverse("privacy:two_factor_setup"), {"code": code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("backoffice:index")).status_code == 200
    # A new session must enter a code (a fresh one: a code is used once).
    time_machine.move_to("2030-01-01 09:01Z", tick=False)
    client.logout()
    client.force_login(alice)
    response = client.get(reverse("backoffice:index"))
    assert response["Location"].startswith(reverse("privacy:two_factor_verify"))
    device.refresh_from_db()
    device.throttle_reset()
    client.post(reverse("privacy:two_factor_verify"), {"code": code(device)})
    assert client.get(reverse("backoffice:index")).status_code == 200


@pytest.mark.parametrize("role", ["safeguarding", "evaluator"])
def test_other_sensitive_roles_need_it(client, scheme_a, require_2fa, role):
    client.force_login(factories.make_staff(scheme_a, role))
    assert client.get(reverse("portal:home")).status_code == 302


def test_participants_do_not(client, bob, require_2fa):
    client.force_login(bob)
    assert client.get(reverse("portal:home")).status_code == 200


def test_failed_password_sign_ins_are_throttled(client, db, settings):
    """Per account, from any address (#23: keyed on the address alone, a guesser moving between
    addresses was never stopped, and everyone behind one address shared one count)."""
    factories.UserFactory(email="erin@example.org")
    url = reverse("accounts:login")
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            url, {"pw-email": "erin@example.org", "pw-password": "wrong"}, REMOTE_ADDR=f"10.0.1.{n}"
        )
    response = client.post(
        url,
        {"pw-email": "erin@example.org", "pw-password": "correct horse battery"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Other accounts from the same addresses are not locked out.
    factories.UserFactory(email="fay@example.org")
    other = client.post(
        url,
        {"pw-email": "fay@example.org", "pw-password": "correct horse battery"},
        REMOTE_ADDR="10.0.1.0",
    )
    assert other.status_code == 302
