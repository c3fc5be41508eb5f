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
    institution = Institution.objects.create(name=name)
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
