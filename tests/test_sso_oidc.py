"""OpenID Connect sign-in against a real provider process on loopback (tests/sso_setup.py): the
whole redirect round trip, account linking and creation, and every hostile answer refused with a
plain page and a log line that names no one."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.core.models import AuditEvent
from equimentor.sso.models import ExternalIdentity
from tests.factories import UserFactory
from tests.sso_setup import local, make_oidc_institution, query

pytestmark = pytest.mark.django_db


def _person(oidc_provider, email="ada@uni.example.ac.uk", **claims):
    sub = f"sub-{uuid.uuid4().hex[:10]}"
    claims = {"email": email, "email_verified": True, "name": "Ada Lovelace", **claims}
    oidc_provider.add_user(sub, **claims)
    return sub


def _round_trip(client, oidc_provider, sub, *, email="ada@uni.example.ac.uk", go="yes"):
    """Start at the sign-in page with an email, sign in at the provider, come back."""
    response = client.post(reverse("sso:choose"), {"email": email})
    assert response.status_code == 302, response.content.decode()
    authorize = response["Location"]
    assert authorize.startswith(oidc_provider.url + "/authorize?")
    callback = oidc_provider.sign_in_as(authorize, sub, go=go)
    return client.get(local(callback))


def _refused(response, caplog, reason):
    body = response.content.decode()
    assert response.status_code == 400, body
    assert "You have not been signed in" in body
    assert "_auth_user_id" not in response.wsgi_request.session
    lines = [r.getMessage() for r in caplog.records if r.name == "equimentor.sso"]
    assert lines and lines[-1].endswith(f"reason={reason}")
    assert all("ada" not in line and "@" not in line for line in lines)
    return body


def test_first_sign_in_creates_the_account_and_asks_nothing_of_consent(client, oidc_provider):
    provider = make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    response = _round_trip(client, oidc_provider, sub)
    assert response.status_code == 302 and response["Location"] == reverse("sso:welcome")
    user = User.objects.get(email="ada@uni.example.ac.uk")
    assert user.full_name == "Ada Lovelace" and not user.has_usable_password()
    assert int(client.session["_auth_user_id"]) == user.pk
    assert ExternalIdentity.objects.get(provider=provider, subject=sub).user == user
    # no participation, no consent: those come only through registration
    assert not user.participations.exists()
    page = client.get(reverse("sso:welcome")).content.decode()
    assert "asks for your profile and for your consent" in page
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["sso.account.created", "sso.account.linked", "accounts.signed_in"]
    assert all("ada" not in str(e.data) for e in AuditEvent.objects.all())


def test_pkce_state_and_nonce_are_sent_and_the_provider_requires_pkce(client, oidc_provider):
    make_oidc_institution(oidc_provider)
    response = client.post(reverse("sso:choose"), {"email": "x@uni.example.ac.uk"})
    params = query(response["Location"])
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["response_type"] == "code"
    assert "openid" in params["scope"].split()


def test_a_second_sign_in_finds_the_linked_account(client, oidc_provider):
    make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    _round_trip(client, oidc_provider, sub)
    client.logout()
    response = _round_trip(client, oidc_provider, sub)
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert User.objects.filter(email="ada@uni.example.ac.uk").count() == 1


def test_an_existing_account_is_linked_by_a_verified_email(client, oidc_provider):
    make_oidc_institution(oidc_provider)
    existing = UserFactory(email="ada@uni.example.ac.uk")
    sub = _person(oidc_provider, email="Ada@UNI.example.ac.uk")
    response = _round_trip(client, oidc_provider, sub)
    assert response["Location"] == reverse("portal:home")
    assert int(client.session["_auth_user_id"]) == existing.pk


def test_entra_ids_verified_domain_claim_counts_and_its_absence_does_not(
    client, oidc_provider, caplog
):
    """Entra ID sends no ``email_verified``; its optional claim ``xms_edov`` (true when the
    address's domain is verified as the tenant's) stands for it."""
    make_oidc_institution(oidc_provider)
    claims = {"email": "ada@uni.example.ac.uk", "name": "Ada Lovelace"}
    bare = f"sub-{uuid.uuid4().hex[:10]}"
    oidc_provider.add_user(bare, **claims)
    _refused(_round_trip(client, oidc_provider, bare), caplog, "unverified_email")
    entra = f"sub-{uuid.uuid4().hex[:10]}"
    oidc_provider.add_user(entra, **claims, xms_edov=True)
    response = _round_trip(client, oidc_provider, entra)
    assert response.status_code == 302 and response["Location"] == reverse("sso:welcome")
    assert User.objects.get(pk=client.session["_auth_user_id"]).email == "ada@uni.example.ac.uk"


def test_an_unverified_email_never_links_or_creates(client, oidc_provider, caplog):
    make_oidc_institution(oidc_provider)
    existing = UserFactory(email="ada@uni.example.ac.uk")
    sub = _person(oidc_provider, email_verified=False)
    body = _refused(_round_trip(client, oidc_provider, sub), caplog, "unverified_email")
    assert "did not confirm your email address" in body
    assert not ExternalIdentity.objects.filter(user=existing).exists()
    sub = _person(oidc_provider, email="new@uni.example.ac.uk", email_verified=False)
    _refused(_round_trip(client, oidc_provider, sub), caplog, "unverified_email")
    assert not User.objects.filter(email="new@uni.example.ac.uk").exists()


def test_an_email_domain_the_provider_does_not_serve_is_refused(client, oidc_provider, caplog):
    make_oidc_institution(oidc_provider)
    UserFactory(email="victim@other.example.org")
    sub = _person(oidc_provider, email="victim@other.example.org")
    body = _refused(_round_trip(client, oidc_provider, sub), caplog, "domain_not_served")
    assert "cannot be used for that email address" in body
    assert not ExternalIdentity.objects.exists()


@pytest.mark.parametrize(
    ("misbehaviour", "reason"),
    [
        ({"claims": {"iss": "http://127.0.0.1:9/evil"}}, "wrong_issuer"),
        ({"claims": {"aud": ["someone-else"]}}, "wrong_audience"),
        ({"claims": {"aud": ["someone-else"], "azp": "someone-else"}}, "wrong_audience"),
        ({"claims": {"exp": 1_000_000_000, "iat": 999_999_000}}, "expired"),
        ({"claims": {"nonce": "not-the-one-we-sent"}}, "nonce_mismatch"),
        ({"rogue_key": True}, "bad_signature"),
    ],
)
def test_a_hostile_id_token_is_refused(client, oidc_provider, caplog, misbehaviour, reason):
    make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    oidc_provider.misbehave(**misbehaviour)
    body = _refused(_round_trip(client, oidc_provider, sub), caplog, reason)
    assert "could not complete your sign-in safely" in body
    # the page says nothing about which check failed
    for word in ("issuer", "audience", "signature", "nonce", "expired", "token"):
        assert word not in body.lower()
    assert not User.objects.filter(email="ada@uni.example.ac.uk").exists()


def test_a_tampered_or_replayed_state_is_refused(client, oidc_provider, caplog):
    make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    response = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})
    callback = local(oidc_provider.sign_in_as(response["Location"], sub))
    params = query(callback)
    tampered = callback.replace(params["state"], "forged-state")
    _refused(client.get(tampered), caplog, "state_mismatch")
    assert client.get(callback).status_code == 302  # the genuine answer still works once
    client.logout()
    _refused(client.get(callback), caplog, "state_mismatch")  # ...and never again


def test_a_callback_from_another_browser_is_refused(client, oidc_provider, caplog):
    from django.test import Client

    make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    response = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})
    callback = local(oidc_provider.sign_in_as(response["Location"], sub))
    _refused(Client().get(callback), caplog, "state_mismatch")


def test_cancelling_at_the_provider(client, oidc_provider, caplog):
    make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    body = _refused(_round_trip(client, oidc_provider, sub, go="no"), caplog, "denied")
    assert "did not sign you in" in body


def test_a_provider_that_names_another_issuer_is_refused(client, oidc_provider, caplog):
    make_oidc_institution(oidc_provider)
    oidc_provider.misbehave(discovery_issuer="http://127.0.0.1:9/impostor")
    try:
        response = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})
    finally:
        oidc_provider.misbehave(discovery_issuer="")
    _refused(response, caplog, "wrong_issuer")


def test_a_provider_that_is_down(client, db, caplog):
    from tests.sso_setup import OidcProvider

    down = OidcProvider()
    make_oidc_institution(down)
    down.stop()
    response = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})
    assert response.status_code == 502
    assert "could not reach your institution" in response.content.decode()
    lines = [r.getMessage() for r in caplog.records if r.name == "equimentor.sso"]
    assert lines[-1].endswith("reason=unavailable")


def test_an_address_without_a_provider_is_offered_an_emailed_link(client, oidc_provider):
    make_oidc_institution(oidc_provider)
    response = client.post(reverse("sso:choose"), {"email": "dana@elsewhere.example.org"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "does not sign people in here" in page
    assert 'value="dana@elsewhere.example.org"' in page  # kept for the emailed link


def test_the_sign_in_page_offers_institutions_only_when_one_is_configured(client, oidc_provider):
    assert (
        "Sign in through your institution"
        not in client.get(reverse("accounts:login")).content.decode()
    )
    make_oidc_institution(oidc_provider)
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in through your institution" in page
    assert "University of Exampleton" in page
    assert "Email me a sign-in link" in page and "Or use your password" in page


def test_choosing_the_institution_instead_of_an_email(client, oidc_provider):
    provider = make_oidc_institution(oidc_provider)
    sub = _person(oidc_provider)
    response = client.post(reverse("sso:choose"), {"institution": provider.pk, "next": "/me/"})
    callback = oidc_provider.sign_in_as(response["Location"], sub)
    assert client.get(local(callback))["Location"] == reverse("sso:welcome")


def test_neither_email_nor_institution(client, oidc_provider):
    make_oidc_institution(oidc_provider)
    response = client.post(reverse("sso:choose"), {})
    assert response.status_code == 400
    assert "Enter your work email address or choose your institution" in response.content.decode()


def test_the_client_secret_never_reaches_pages_logs_or_the_audit_trail(
    client, oidc_provider, caplog
):
    caplog.set_level(logging.DEBUG)
    provider = make_oidc_institution(oidc_provider)
    from equimentor.sso.services import client_secret

    secret = client_secret(provider)
    assert secret not in provider.client_secret_encrypted
    sub = _person(oidc_provider)
    _round_trip(client, oidc_provider, sub)
    assert secret not in caplog.text
    assert all(secret not in str(e.data) for e in AuditEvent.objects.all())
    assert secret not in client.get(reverse("accounts:login")).content.decode()
