"""``equimentor sso add`` and ``equimentor sso list``: the scripted way to configure providers."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from equimentor.core.models import AuditEvent
from equimentor.sso.models import IdentityProvider
from equimentor.sso.services import client_secret

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("sso", *args, stdout=out)
    return out.getvalue()


def test_add_oidc_then_list_never_prints_the_secret(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-value-123\n")
    out = _run(
        "add",
        "--institution",
        "University of Exampleton",
        "--domains",
        "Uni.example.ac.uk, med.example.ac.uk",
        "--oidc-issuer",
        "https://login.example.com/tenant/v2.0/",
        "--client-id",
        "abc",
        "--client-secret-file",
        str(secret_file),
    )
    assert "OpenID Connect provider saved" in out and "s3cret" not in out
    provider = IdentityProvider.objects.get()
    assert provider.issuer == "https://login.example.com/tenant/v2.0"
    assert provider.domain_list == ["med.example.ac.uk", "uni.example.ac.uk"]
    assert client_secret(provider) == "s3cret-value-123"
    listing = _run("list")
    assert "University of Exampleton\toidc\ton\tmed.example.ac.uk,uni.example.ac.uk" in listing
    assert "secret stored" in listing and "s3cret" not in listing
    assert all("s3cret" not in str(e.data) for e in AuditEvent.objects.all())


def test_add_saml_from_a_metadata_file(saml_idp, tmp_path):
    metadata = tmp_path / "idp.xml"
    metadata.write_text(saml_idp.metadata())
    _run(
        "add",
        "--institution",
        "University of Samlton",
        "--domains",
        "uni.example.ac.uk",
        "--saml-metadata",
        str(metadata),
    )
    provider = IdentityProvider.objects.get()
    assert provider.protocol == "saml" and provider.entity_id == saml_idp.entity_id
    assert saml_idp.entity_id in _run("list")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--domains", "x.ac.uk"], "Give either"),
        (
            ["--domains", "x.ac.uk", "--oidc-issuer", "https://i.example"],
            "needs --oidc-issuer, --client-id",
        ),
        (
            ["--domains", "not a domain", "--saml-metadata", "/nonexistent.xml"],
            "Not an email domain",
        ),
        (["--domains", "x.ac.uk", "--saml-metadata", "/nonexistent.xml"], "cannot be read"),
    ],
)
def test_add_refuses_what_it_cannot_use(args, message):
    with pytest.raises(CommandError, match=message):
        _run("add", "--institution", "X", *args)
    assert not IdentityProvider.objects.exists()


def test_one_domain_one_provider(tmp_path, saml_idp):
    metadata = tmp_path / "idp.xml"
    metadata.write_text(saml_idp.metadata())
    _run("add", "--institution", "A", "--domains", "a.ac.uk", "--saml-metadata", str(metadata))
    with pytest.raises(
        CommandError, match=r"Already served by another institution's provider: a.ac.uk \(A\)"
    ):
        _run("add", "--institution", "B", "--domains", "a.ac.uk", "--saml-metadata", str(metadata))


def test_list_when_there_are_none():
    assert "No identity providers are configured" in _run("list")
