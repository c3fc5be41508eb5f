"""A provider's multi-factor sign-in satisfies the staff two-factor rule (otherwise TOTP still
applies); signing out ends the local session and offers the provider's single logout."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from tests import factories
from tests.sso_setup import local, make_oidc_institution, make_saml_institution, query

pytestmark = pytest.mark.django_db


def _oidc_sign_in(client, oidc_provider, email, **claims):
    sub = f"sub-{uuid.uuid4().hex[:10]}"
    oidc_provider.add_user(sub, email=email, email_verified=True, name="Cora Ord", **claims)
    response = client.post(reverse("sso:choose"), {"email": email})
    callback = oidc_provider.sign_in_as(response["Location"], sub)
    return client.get(local(callback))


@pytest.fixture
def coordinator(scheme_a):
    return factories.make_staff(
        scheme_a, "coordinator", email="cora@uni.example.ac.uk", full_name="Cora Ord"
    )


def test_oidc_mfa_satisfies_the_staff_rule(client, oidc_provider, coordinator, settings):
    settings.REQUIRE_STAFF_2FA = True
    make_oidc_institution(oidc_provider)
    _oidc_sign_in(client, oidc_provider, coordinator.email, amr=["pwd", "mfa"])
    assert client.get(reverse("backoffice:index")).status_code == 200
    event = AuditEvent.objects.filter(action="accounts.signed_in").latest("pk")
    assert event.data["mfa"] is True and event.data["method"] == "oidc"


def test_oidc_acr_can_assert_mfa(client, oidc_provider, coordinator, settings):
    settings.REQUIRE_STAFF_2FA = True
    make_oidc_institution(oidc_provider)
    _oidc_sign_in(client, oidc_provider, coordinator.email, acr="https://refeds.org/profile/mfa")
    assert client.get(reverse("backoffice:index")).status_code == 200


def test_a_password_only_sign_in_still_needs_totp(client, oidc_provider, coordinator, settings):
    settings.REQUIRE_STAFF_2FA = True
    make_oidc_institution(oidc_provider)
    _oidc_sign_in(client, oidc_provider, coordinator.email, amr=["pwd"])
    response = client.get(reverse("backoffice:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("privacy:two_factor_setup"))


def test_a_provider_can_name_its_own_mfa_values(client, oidc_provider, coordinator, settings):
    settings.REQUIRE_STAFF_2FA = True
    provider = make_oidc_institution(oidc_provider)
    provider.mfa_values = ["urn:example:strong"]
    provider.save()
    _oidc_sign_in(client, oidc_provider, coordinator.email, amr=["mfa"])  # not this provider's word
    assert client.get(reverse("backoffice:index")).status_code == 302
    client.logout()
    _oidc_sign_in(client, oidc_provider, coordinator.email, acr="urn:example:strong")
    assert client.get(reverse("backoffice:index")).status_code == 200


def test_saml_authn_context_mfa_satisfies_the_staff_rule(client, saml_idp, coordinator, settings):
    settings.REQUIRE_STAFF_2FA = True
    make_saml_institution(saml_idp)
    location = client.post(reverse("sso:choose"), {"email": coordinator.email})["Location"]
    saml_response = saml_idp.respond(location, email=coordinator.email, authn_class=saml_idp.MFA)
    client.post(reverse("sso:saml_acs"), {"SAMLResponse": saml_response})
    assert client.get(reverse("backoffice:index")).status_code == 200
    client.post(reverse("accounts:logout"))
    location = client.post(reverse("sso:choose"), {"email": coordinator.email})["Location"]
    saml_response = saml_idp.respond(location, email=coordinator.email)  # password only
    client.post(reverse("sso:saml_acs"), {"SAMLResponse": saml_response})
    assert client.get(reverse("backoffice:index")).status_code == 302


def test_signing_out_offers_the_oidc_providers_sign_out(client, oidc_provider):
    make_oidc_institution(oidc_provider, site="http://testserver")
    _oidc_sign_in(client, oidc_provider, "ada@uni.example.ac.uk")
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("sso:signed_out")
    assert "_auth_user_id" not in client.session  # the local session has ended already
    page = client.get(reverse("sso:signed_out")).content.decode()
    assert "You have signed out of" in page and "Sign out of University of Exampleton too" in page
    response = client.post(reverse("sso:single_logout"))
    assert response.status_code == 302
    target = response["Location"]
    assert target.startswith(oidc_provider.url + "/logout?")
    params = query(target)
    assert params["id_token_hint"].count(".") == 2
    assert params["post_logout_redirect_uri"] == "http://testserver" + reverse(
        "sso:oidc_signed_out"
    )
    assert client.get(reverse("sso:oidc_signed_out")).status_code == 200


def test_signing_out_offers_the_saml_single_logout(client, saml_idp):
    from saml2 import BINDING_HTTP_REDIRECT

    make_saml_institution(saml_idp)
    location = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})["Location"]
    client.post(reverse("sso:saml_acs"), {"SAMLResponse": saml_idp.respond(location)})
    client.post(reverse("accounts:logout"))
    assert (
        "Sign out of University of Samlton too"
        in client.get(reverse("sso:signed_out")).content.decode()
    )
    target = client.post(reverse("sso:single_logout"))["Location"]
    assert target.startswith(saml_idp.base + "/slo?SAMLRequest=")
    params = query(target)
    assert params["SigAlg"].endswith("rsa-sha256") and params["Signature"]
    # the identity provider checks our signed request and answers; we check its answer
    request = saml_idp.server.parse_logout_request(
        params["SAMLRequest"],
        BINDING_HTTP_REDIRECT,
        relay_state=params["RelayState"],
        sigalg=params["SigAlg"],
        signature=params["Signature"],
    )
    assert request.message.name_id.text == "ada-persistent-id"
    answer = saml_idp.server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
    info = saml_idp.server.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(answer),
        saml_idp.SP.replace("metadata/", "sls/"),
        params["RelayState"],
        response=True,
    )
    back = dict(info["headers"])["Location"]
    page = client.get(local(back)).content.decode()
    assert "of University of Samlton's sign-in service" in page


def test_signing_out_of_an_ordinary_session_is_unchanged(client, bob):
    client.force_login(bob)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("portal:home")
