"""Identity providers for the single sign-on tests, started by the tests on loopback.

``OidcProvider`` runs ``tests/providers/oidc_provider.py`` (Authlib's authorisation server in
Flask) as a separate process; the test talks to it over HTTP like a browser and a relying party
would. ``oidc_provider`` is a session fixture: one process serves every test, each test using its
own client id and people.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from equimentor.schemes.models import Institution
from equimentor.sso import services

ROOT = Path(__file__).resolve().parent.parent


class OidcProvider:
    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.providers.oidc_provider", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.process.kill()
            raise RuntimeError(f"the test OpenID provider did not start: {line!r}")
        self.url = line.split()[1]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)

    def add_user(self, sub: str, **claims) -> None:
        requests.put(f"{self.url}/_test/users/{sub}", json=claims, timeout=5).raise_for_status()

    def add_client(self, client_id: str, secret: str, redirect_uris: list[str]) -> None:
        requests.put(
            f"{self.url}/_test/clients/{client_id}",
            json={"secret": secret, "redirect_uris": redirect_uris},
            timeout=5,
        ).raise_for_status()

    def misbehave(self, **body) -> None:
        """How the next answer misbehaves: ``claims={...}`` overrides ID token claims,
        ``rogue_key=True`` signs it with a key the provider does not publish,
        ``discovery_issuer=...`` changes the issuer its discovery document names."""
        requests.post(f"{self.url}/_test/next", json=body, timeout=5).raise_for_status()

    def seen(self) -> list[dict]:
        return requests.get(f"{self.url}/_test/seen", timeout=5).json()

    def sign_in_as(self, authorize_url: str, sub: str, *, go: str = "yes") -> str:
        """Submit the provider's sign-in form as a browser would; return where it redirects."""
        page = requests.get(authorize_url, timeout=5)
        assert page.status_code == 200, page.text
        response = requests.post(
            authorize_url, data={"sub": sub, "go": go}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@pytest.fixture(scope="session")
def oidc_provider():
    provider = OidcProvider()
    yield provider
    provider.stop()


def local(url: str) -> str:
    """The path and query of a URL back to the site under test (the test client needs those)."""
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def make_oidc_institution(
    oidc_provider: OidcProvider,
    *,
    name="University of Exampleton",
    domains=("uni.example.ac.uk",),
    site="http://testserver",
):
    """An institution whose staff sign in through the test provider, with a fresh client whose
    redirect URI is registered for ``site`` (the test client's, or a live server's)."""
    client_id, secret = f"equimentor-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    institution, _ = Institution.objects.get_or_create(name=name)
    provider = services.save_provider(
        institution,
        protocol="oidc",
        domains=list(domains),
        issuer=oidc_provider.url,
        client_id=client_id,
        client_secret=secret,
    )
    callback = site + reverse("sso:oidc_callback", args=[provider.pk])
    oidc_provider.add_client(client_id, secret, [callback])
    return provider


# -- SAML --------------------------------------------------------------------------------------


def _key_and_cert(folder: Path, name: str) -> tuple[str, str]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


class SamlIdP:
    """A SAML 2.0 identity provider built with pysaml2's ``Server``, in the test process: it reads
    the site's real AuthnRequests and signs real responses (RSA-SHA256, via xmlsec1)."""

    MFA = "https://refeds.org/profile/mfa"
    OTHER_SP = "https://elsewhere.example.org/sp"
    PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

    def __init__(
        self, folder: Path, sp_metadata: str, *, base="http://127.0.0.1:8171/idp", entity_id=""
    ):
        import shutil

        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.config import IdPConfig
        from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT
        from saml2.server import Server

        from equimentor.sso import saml

        self.SP = saml.entity_id()
        folder.mkdir(parents=True, exist_ok=True)
        key, cert = _key_and_cert(folder, "idp")
        self.entity_id = entity_id or base + "/metadata"
        self.base = base
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "xmlsec_binary": shutil.which("xmlsec1"),
                "key_file": key,
                "cert_file": cert,
                # the site, and another service it could be tricked into answering for
                "metadata": {"inline": [sp_metadata, sp_metadata.replace(self.SP, self.OTHER_SP)]},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(base + "/sso", BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(base + "/slo", BINDING_HTTP_REDIRECT)],
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": 5},
                                "attribute_restrictions": None,
                                "name_form": NAME_FORMAT_URI,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
            }
        )
        self.server = Server(config=config)

    def metadata(self) -> str:
        from saml2.metadata import create_metadata_string

        return create_metadata_string(None, config=self.server.config, valid=24).decode()

    def respond(
        self,
        location: str,
        *,
        email="ada@uni.example.ac.uk",
        name="Ada Lovelace",
        subject="ada-persistent-id",
        authn_class=PASSWORD,
        audience: str | None = None,
    ) -> str:
        """Read the AuthnRequest in the redirect ``location``; return a signed, base64 response."""
        import base64

        from saml2 import BINDING_HTTP_REDIRECT
        from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

        request = self.server.parse_authn_request(
            query(location)["SAMLRequest"], BINDING_HTTP_REDIRECT
        )
        message = request.message
        response = self.server.create_authn_response(
            identity={"mail": [email], "displayName": [name]},
            in_response_to=message.id,
            destination=message.assertion_consumer_service_url,
            sp_entity_id=audience or message.issuer.text,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
            authn={"class_ref": authn_class, "authn_auth": self.entity_id},
            sign_response=True,
            sign_assertion=True,
        )
        return base64.b64encode(str(response).encode()).decode()


def make_saml_institution(
    idp: SamlIdP, *, name="University of Samlton", domains=("uni.example.ac.uk",)
):
    from equimentor.sso import saml

    xml, url, entity_id = saml.read_metadata(idp.metadata())
    institution = Institution.objects.create(name=name)
    return services.save_provider(
        institution,
        protocol="saml",
        domains=list(domains),
        metadata_xml=xml,
        metadata_url=url,
        entity_id=entity_id,
    )


@pytest.fixture
def saml_idp(tmp_path, settings):
    from equimentor.sso import saml

    settings.VAR_DIR = tmp_path / "var"
    return SamlIdP(tmp_path / "idp", saml.sp_metadata())
