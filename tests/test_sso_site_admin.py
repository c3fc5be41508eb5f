"""Site administrators configure institutions' identity providers in pages (the same services as
``equimentor sso``), and a person then signs in through the provider so configured."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.accounts.models import User
from equimentor.core.models import AuditEvent
from equimentor.schemes.models import Institution
from equimentor.sso.models import IdentityProvider
from equimentor.sso.services import client_secret
from equimentor.staff.models import SiteAdministrator
from tests import factories
from tests.sso_setup import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_admin_client():
    user = User.objects.create_user(email="site.admin@example.org", full_name="Sam Admin")
    SiteAdministrator.objects.create(user=user)
    browser = Client()
    browser.force_login(user)
    return browser


def _oidc(**extra):
    return {
        "protocol": "oidc",
        "domains": "uni.example.ac.uk, Med.Uni.example.ac.uk",
        "issuer": "https://login.example.com/tenant/v2.0",
        "client_id": "equimentor",
        "client_secret": "s3cret-value-123",
        "is_active": "on",
        **extra,
    }


def test_only_site_administrators_reach_the_pages(client):
    inst = Institution.objects.create(name="University of Exampleton")
    scheme = factories.make_scheme()
    urls = [reverse("sso:site_providers"), reverse("sso:site_provider", args=[inst.pk])]
    for url in urls:
        assert client.get(url).status_code == 302  # to sign-in
    client.force_login(factories.make_staff(scheme, "coordinator"))
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, _oidc()).status_code == 403
    assert not IdentityProvider.objects.exists()


def test_adding_an_oidc_provider_then_signing_in_through_it(
    site_admin_client, client, oidc_provider
):
    inst = Institution.objects.create(name="University of Exampleton")
    url = reverse("sso:site_provider", args=[inst.pk])
    page = site_admin_client.get(url).content.decode()
    assert "has no identity provider here yet" in page
    client_id, secret = f"equimentor-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    response = site_admin_client.post(
        url, _oidc(issuer=oidc_provider.url, client_id=client_id, client_secret=secret)
    )
    assert response.status_code == 302 and response["Location"] == url
    provider = IdentityProvider.objects.get(institution=inst)
    assert provider.domain_list == ["med.uni.example.ac.uk", "uni.example.ac.uk"]
    assert client_secret(provider) == secret
    page = site_admin_client.get(url).content.decode()
    assert secret not in page and "client secret stored" in page
    callback = reverse("sso:oidc_callback", args=[provider.pk])
    assert settings.SITE_URL + callback in page  # what the IT team registers at the provider
    event = AuditEvent.objects.get(action="sso.provider.added")
    assert secret not in str(event.data)

    oidc_provider.add_client(client_id, secret, ["http://testserver" + callback])
    sub = f"sub-{uuid.uuid4().hex[:10]}"
    oidc_provider.add_user(sub, email="ada@uni.example.ac.uk", email_verified=True, name="Ada L")
    response = client.post(reverse("sso:choose"), {"email": "ada@uni.example.ac.uk"})
    assert response["Location"].startswith(oidc_provider.url + "/authorize?")
    back = client.get(local(oidc_provider.sign_in_as(response["Location"], sub)))
    assert back.status_code == 302 and back["Location"] == reverse("sso:welcome")
    assert User.objects.get(pk=client.session["_auth_user_id"]).email == "ada@uni.example.ac.uk"


def test_a_change_without_a_secret_keeps_the_stored_one_and_turning_off_hides_it(site_admin_client):
    inst = Institution.objects.create(name="University of Exampleton")
    url = reverse("sso:site_provider", args=[inst.pk])
    site_admin_client.post(url, _oidc())
    form = site_admin_client.get(url).context["form"]
    assert form.initial["domains"] == "med.uni.example.ac.uk, uni.example.ac.uk"
    response = site_admin_client.post(url, {**_oidc(client_secret=""), "is_active": ""})
    assert response.status_code == 302
    provider = IdentityProvider.objects.get()
    assert client_secret(provider) == "s3cret-value-123" and not provider.is_active
    page = site_admin_client.get(reverse("sso:choose")).content.decode()
    assert "University of Exampleton" not in page
    listing = site_admin_client.get(reverse("sso:site_providers")).content.decode()
    assert "OpenID Connect (turned off)" in listing


def test_bad_input_is_explained_and_nothing_is_lost(site_admin_client):
    inst = Institution.objects.create(name="University of Exampleton")
    url = reverse("sso:site_provider", args=[inst.pk])
    response = site_admin_client.post(
        url, _oidc(client_secret="", issuer="", domains="not a domain")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not an email domain: not a domain." in page
    response = site_admin_client.post(url, _oidc(client_secret="", issuer=""))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Issuer URL (OpenID Connect): OpenID Connect needs this." in page
    assert "OpenID Connect needs the client secret." in page
    assert 'value="equimentor"' in page and "med.uni.example.ac.uk" in page  # kept
    assert not IdentityProvider.objects.exists()

    other = Institution.objects.create(name="Other University")
    site_admin_client.post(reverse("sso:site_provider", args=[other.pk]), _oidc())
    response = site_admin_client.post(url, _oidc())
    assert response.status_code == 400
    assert "Already served by another institution&#x27;s provider" in response.content.decode()
    assert not IdentityProvider.objects.filter(institution=inst).exists()


def test_saml_from_pasted_metadata_and_what_is_refused(site_admin_client, saml_idp):
    inst = Institution.objects.create(name="University of Samlton")
    url = reverse("sso:site_provider", args=[inst.pk])
    base = {"protocol": "saml", "domains": "uni.example.ac.uk", "is_active": "on"}
    refused = site_admin_client.post(url, {**base, "metadata_xml": "<not-metadata/>"})
    assert refused.status_code == 400
    assert "That is not SAML metadata" in refused.content.decode()
    plain = site_admin_client.post(url, {**base, "metadata_url": "http://idp.example.org/metadata"})
    assert plain.status_code == 400 and "Give an https address" in plain.content.decode()
    response = site_admin_client.post(url, {**base, "metadata_xml": saml_idp.metadata()})
    assert response.status_code == 302
    provider = IdentityProvider.objects.get()
    assert provider.protocol == "saml" and provider.entity_id
    page = site_admin_client.get(url).content.decode()
    assert provider.entity_id in page and "/sso/saml/acs/" in page


def test_removing_a_provider_sends_people_back_to_emailed_links(site_admin_client):
    inst = Institution.objects.create(name="University of Exampleton")
    url = reverse("sso:site_provider", args=[inst.pk])
    site_admin_client.post(url, _oidc())
    response = site_admin_client.post(url, {"remove": "1"})
    assert response.status_code == 302
    assert not IdentityProvider.objects.exists()
    assert AuditEvent.objects.filter(action="sso.provider.removed").count() == 1


def test_the_list_costs_the_same_for_many_institutions(site_admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert site_admin_client.get(reverse("sso:site_providers")).status_code == 200
        return len(ctx)

    inst = Institution.objects.create(name="University 0")
    site_admin_client.post(reverse("sso:site_provider", args=[inst.pk]), _oidc())
    few = queries()
    for i in range(1, 8):
        inst = Institution.objects.create(name=f"University {i}")
        site_admin_client.post(
            reverse("sso:site_provider", args=[inst.pk]), _oidc(domains=f"u{i}.example.ac.uk")
        )
    assert queries() == few
