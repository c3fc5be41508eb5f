"""SAML 2.0 sign-in against a real identity provider built with pysaml2 (tests/sso_setup.py) that
signs real responses: the whole round trip, and tampered, misaddressed, expired and replayed
responses refused with a plain page and a log line that names no one."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.sso.models import ExternalIdentity
from tests.factories import UserFactory
from tests.sso_setup import make_saml_institution

pytestmark = pytest.mark.django_db


def _start(client, email="ada@uni.example.ac.uk"):
    response = client.post(reverse("sso:choose"), {"email": email, "next": "/me/"})
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def _post(client, saml_response):
    return client.post(reverse("sso:saml_acs"), {"SAMLResponse": saml_response, "RelayState": ""})


def _refused(response, caplog, reason):
    body = response.content.decode()
    assert response.status_code == 400, body
    assert "You have not been signed in" in body
    assert "_auth_user_id" not in response.wsgi_request.session
    lines = [r.getMessage() for r in caplog.records if r.name == "equimentor.sso"]
    assert lines and lines[-1].endswith(f"reason={reason}"), lines
    assert all("ada" not in line and "@" not in line for line in lines)
    assert "ada" not in caplog.text.lower()
    return body


def test_the_round_trip_creates_and_then_finds_the_account(client, saml_idp):
    provider = make_saml_institution(saml_idp)
    location = _start(client)
    assert location.startswith(saml_idp.base + "/sso?SAMLRequest=")
    response = _post(client, saml_idp.respond(location))
    assert response.status_code == 302 and response["Location"] == reverse("sso:welcome")
    user = User.objects.get(email="ada@uni.example.ac.uk")
    assert user.full_name == "Ada Lovelace"
    assert ExternalIdentity.objects.get(provider=provider).subject == "nameid:ada-persistent-id"
    assert not user.participations.exists()  # registration and consent still to come
    client.logout()
    location = _start(client)
    response = _post(client, saml_idp.respond(location))
    assert response["Location"] == "/me/"  # where the person was going
    assert int(client.session["_auth_user_id"]) == user.pk


def test_an_existing_account_is_linked_by_its_address(client, saml_idp):
    make_saml_institution(saml_idp)
    existing = UserFactory(email="ada@uni.example.ac.uk")
    response = _post(client, saml_idp.respond(_start(client), email="ADA@uni.example.ac.uk"))
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == existing.pk


def test_a_tampered_response_is_refused(client, saml_idp, caplog):
    make_saml_institution(saml_idp)
    victim = UserFactory(email="dean@uni.example.ac.uk")
    signed = base64.b64decode(saml_idp.respond(_start(client))).decode()
    assert "ada@uni.example.ac.uk" in signed
    forged = signed.replace("ada@uni.example.ac.uk", "dean@uni.example.ac.uk")
    body = _refused(
        _post(client, base64.b64encode(forged.encode()).decode()), caplog, "bad_signature"
    )
    assert "could not complete your sign-in safely" in body
    assert "signature" not in body.lower()
    assert not ExternalIdentity.objects.filter(user=victim).exists()


def test_a_response_for_another_service_is_refused(client, saml_idp, caplog):
    make_saml_institution(saml_idp)
    response = saml_idp.respond(_start(client), audience=saml_idp.OTHER_SP)
    _refused(_post(client, response), caplog, "wrong_audience")


def test_an_expired_response_is_refused(client, saml_idp, caplog):
    make_saml_institution(saml_idp)
    response = saml_idp.respond(_start(client))
    with time_machine.travel(timezone.now() + timedelta(minutes=12), tick=False):
        _refused(_post(client, response), caplog, "expired")


def test_a_replayed_response_is_refused(client, saml_idp, caplog):
    from django.test import Client

    make_saml_institution(saml_idp)
    response = saml_idp.respond(_start(client))
    cookie = client.cookies["eq_saml"].value
    assert _post(client, response).status_code == 302
    client.logout()
    # the same browser again: its pending request was answered already
    _refused(_post(client, response), caplog, "replayed")
    # another browser holding a copy of the first one's cookie: the assertion was used
    other = Client()
    other.cookies["eq_saml"] = cookie
    _refused(_post(other, response), caplog, "replayed")


def test_an_unsolicited_response_is_refused(client, saml_idp, caplog):
    from django.test import Client

    make_saml_institution(saml_idp)
    response = saml_idp.respond(_start(client))
    _refused(_post(Client(), response), caplog, "replayed")


def test_a_response_from_an_unknown_identity_provider_is_refused(
    client, saml_idp, tmp_path, caplog
):
    from equimentor.sso import saml
    from tests.sso_setup import SamlIdP

    make_saml_institution(saml_idp)
    # same addresses as the institution's provider, its own entity id and signing key
    impostor = SamlIdP(
        tmp_path / "impostor", saml.sp_metadata(), entity_id="https://impostor.example.org/idp"
    )
    location = _start(client)
    response = impostor.respond(location)
    _refused(_post(client, response), caplog, "wrong_issuer")


def test_an_address_in_a_domain_the_provider_does_not_serve(client, saml_idp, caplog):
    make_saml_institution(saml_idp)
    UserFactory(email="victim@other.example.org")
    response = saml_idp.respond(_start(client), email="victim@other.example.org")
    body = _refused(_post(client, response), caplog, "domain_not_served")
    assert "cannot be used for that email address" in body


def test_the_metadata_names_the_service_and_its_endpoints(client, db):
    from equimentor.sso import saml

    xml = client.get(reverse("sso:saml_metadata")).content.decode()
    assert saml.entity_id() in xml and saml.acs_url() in xml and saml.sls_url() in xml
    assert "BEGIN" not in xml and "PRIVATE" not in xml  # the certificate only, never the key


def test_federation_metadata_with_many_providers_is_refused(saml_idp, tmp_path):
    from django.core.exceptions import ValidationError

    from equimentor.sso import saml
    from tests.sso_setup import SamlIdP

    other = SamlIdP(tmp_path / "other", saml.sp_metadata(), base="http://127.0.0.1:8173/idp")
    one = saml_idp.metadata().split("?>", 1)[-1]
    two = other.metadata().split("?>", 1)[-1]
    aggregate = (
        '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        + one
        + two
        + "</md:EntitiesDescriptor>"
    )
    with pytest.raises(ValidationError, match="exactly one identity provider"):
        saml.read_metadata(aggregate)
    with pytest.raises(ValidationError, match="not SAML metadata"):
        saml.read_metadata("<html>hello</html>")
