"""SAML 2.0 service-provider sign-in through pysaml2 (which checks signatures with xmlsec1).

pysaml2 does the protocol: the AuthnRequest (HTTP-Redirect binding), and on the way back the
response's XML signature, issuer, audience, destination, validity window and that it answers a
request this browser made (``InResponseTo``). The request ids waiting for an answer live in a
signed cookie, because the identity provider's POST back is cross-site and the session cookie
(SameSite=Lax) does not come with it. Every consumed assertion id is kept until it expires, so an
assertion is accepted once only, whichever browser presents it.

One service provider for the whole site: entity ID ``SITE_URL/sso/saml/metadata/`` (its metadata
is served there), one assertion consumer service, one single logout service. Its key pair signs
logout requests and decrypts encrypted assertions: ``SSO_SAML_KEY_FILE``/``SSO_SAML_CERT_FILE``,
or made once under ``VAR_DIR/saml/``.
"""

from __future__ import annotations

import calendar
import os
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, xmldsig
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.ident import code as code_name_id
from saml2.ident import decode as decode_name_id
from saml2.mdstore import InMemoryMetaData
from saml2.metadata import create_metadata_string
from saml2.response import StatusError, UnsolicitedResponse
from saml2.s_utils import UnknownSystemEntity
from saml2.saml import NAMEID_FORMAT_TRANSIENT
from saml2.sigver import MissingKey, SignatureError, SigverError
from saml2.time_util import str_to_time
from saml2.validate import ResponseLifetimeExceed, ToEarly

from equimentor.sso import services
from equimentor.sso.failures import SignInRefused
from equimentor.sso.models import IdentityProvider, UsedAssertion

COOKIE = "eq_saml"
COOKIE_SALT = "equimentor.sso.saml"
REQUEST_MAX_AGE = 15 * 60  # seconds a sign-in may take at the identity provider
# Attributes (pysaml2's friendly names) that may carry the address, and a stable identifier when
# the NameID is transient.
EMAIL_ATTRIBUTES = ("mail", "email", "emailAddress", "emailaddress")
SUBJECT_ATTRIBUTES = ("pairwise-id", "subject-id", "eduPersonUniqueId", "eduPersonPrincipalName")
NAME_ATTRIBUTES = ("displayName", "cn", "name")


def xmlsec_binary() -> str:
    found = shutil.which("xmlsec1")
    if not found:
        raise RuntimeError("SAML needs xmlsec1: install Debian's xmlsec1 package.")
    return found


def entity_id() -> str:
    return settings.SITE_URL + reverse("sso:saml_metadata")


def acs_url() -> str:
    return settings.SITE_URL + reverse("sso:saml_acs")


def sls_url() -> str:
    return settings.SITE_URL + reverse("sso:saml_sls")


def _write_once(path: Path, data: bytes, mode: int) -> None:
    """Write ``path`` atomically unless it exists (two processes may race to make it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def keypair() -> tuple[str, str]:
    """Paths of the service provider's private key and certificate (made once if not given)."""
    key_file, cert_file = settings.SSO_SAML_KEY_FILE, settings.SSO_SAML_CERT_FILE
    if key_file and cert_file:
        return key_file, cert_file
    folder = Path(settings.VAR_DIR) / "saml"
    key_path, cert_path = folder / "sp.key", folder / "sp.crt"
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_once(
            key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            0o600,
        )
    if not cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, settings.SITE_NAME)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        _write_once(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return str(key_path), str(cert_path)


def _config(provider: IdentityProvider | None) -> SPConfig:
    key_file, cert_file = keypair()
    conf = SPConfig()
    conf.load(
        {
            "entityid": entity_id(),
            "xmlsec_binary": xmlsec_binary(),
            "key_file": key_file,
            "cert_file": cert_file,
            "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
            "metadata": {"inline": [provider.metadata_xml]} if provider else {},
            "allow_unknown_attributes": True,
            "accepted_time_diff": 60,
            "service": {
                "sp": {
                    "name": settings.SITE_NAME,
                    "endpoints": {
                        "assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)],
                        "single_logout_service": [(sls_url(), BINDING_HTTP_REDIRECT)],
                    },
                    "allow_unsolicited": False,
                    "authn_requests_signed": False,
                    "logout_requests_signed": True,
                    "want_assertions_signed": False,
                    "want_response_signed": False,
                    "want_assertions_or_response_signed": True,
                    "signing_algorithm": xmldsig.SIG_RSA_SHA256,
                    "digest_algorithm": xmldsig.DIGEST_SHA256,
                }
            },
        }
    )
    return conf


def sp_metadata() -> str:
    return create_metadata_string(None, config=_config(None), valid=24 * 365).decode()


# -- configuration: reading an identity provider's metadata --------------------------------------


def read_metadata(source: str) -> tuple[str, str, str]:
    """``(xml, url, entity_id)`` from metadata XML or a URL to fetch it from; the XML must hold
    exactly one identity provider with a single sign-on service. Raises ValidationError."""
    url = ""
    text = source.strip()
    if text.startswith(("http://", "https://")):
        url = text
        try:
            response = requests.get(url, timeout=15)
            response.raise_for_status()
        except requests.RequestException as exc:
            raise ValidationError("The metadata could not be fetched from that URL.") from exc
        text = response.text
    try:
        store = InMemoryMetaData(None, text)
        store.load()
    except Exception as exc:  # pysaml2 raises several kinds for XML it cannot read
        raise ValidationError("That is not SAML metadata we can read.") from exc
    idps = [eid for eid, entity in store.items() if entity.get("idpsso_descriptor")]
    if not idps:
        raise ValidationError("That is not SAML metadata of an identity provider.")
    if len(idps) != 1:
        raise ValidationError(
            "The metadata must describe exactly one identity provider "
            f"(it describes {len(idps)}): use the provider's own metadata, not a federation's."
        )
    return text, url, idps[0]


# -- signing in -----------------------------------------------------------------------------------


def _pending(request) -> dict:
    """The sign-in requests this browser is waiting on: request id -> provider and next page."""
    try:
        pending = signing.loads(
            request.COOKIES.get(COOKIE, ""), salt=COOKIE_SALT, max_age=REQUEST_MAX_AGE
        )
    except signing.BadSignature:
        return {}
    return pending if isinstance(pending, dict) else {}


def _set_pending(response, pending: dict) -> None:
    secure = settings.SESSION_COOKIE_SECURE
    response.set_cookie(
        COOKIE,
        signing.dumps(pending, salt=COOKIE_SALT),
        max_age=REQUEST_MAX_AGE,
        secure=secure,
        httponly=True,
        samesite="None" if secure else "Lax",  # Lax still comes with same-site loopback tests
        path=reverse("sso:saml_acs"),
    )


def forget_pending(response) -> None:
    response.delete_cookie(COOKIE, path=reverse("sso:saml_acs"))


def start(request, provider: IdentityProvider, next_url: str = ""):
    client = Saml2Client(_config(provider))
    try:
        request_id, info = client.prepare_for_authenticate(
            entityid=provider.entity_id, binding=BINDING_HTTP_REDIRECT, relay_state=""
        )
    except UnknownSystemEntity as exc:
        raise SignInRefused("not_configured") from exc
    location = dict(info["headers"])["Location"]
    response = HttpResponseRedirect(location)
    pending = _pending(request)
    pending = {k: v for k, v in pending.items() if k != request_id}
    pending[request_id] = {"provider": provider.pk, "next": next_url}
    _set_pending(response, dict(list(pending.items())[-5:]))  # a few tabs at once at most
    return response


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnsolicitedResponse):
        return "replayed"
    if isinstance(exc, ResponseLifetimeExceed | ToEarly):
        return "expired"
    if isinstance(exc, MissingKey):
        return "wrong_issuer"
    if isinstance(exc, SignatureError | SigverError):
        return "bad_signature"
    if isinstance(exc, StatusError):
        return "denied"
    if "AudienceRestrictions" in str(exc):  # pysaml2 raises a bare Exception for this one
        return "wrong_audience"
    return "invalid_response"


def _first(ava: dict, names) -> str:
    for name in names:
        values = ava.get(name) or []
        if values and str(values[0]).strip():
            return str(values[0]).strip()
    return ""


def finish(request) -> tuple[IdentityProvider, services.Asserted, str]:
    """Check the identity provider's POSTed response; return the provider, what it asserted and
    where to go next. Raises :class:`SignInRefused` (with the provider, when known, as its
    ``provider`` attribute)."""
    raw = request.POST.get("SAMLResponse", "")
    pending = _pending(request)
    if not raw:
        raise SignInRefused("invalid_response")
    # the provider is the one the pending request went to; an answer to no pending request is
    # refused by pysaml2 as unsolicited (so a replay in this browser is refused here too)
    provider_ids = {v["provider"] for v in pending.values()}
    providers = list(IdentityProvider.objects.filter(pk__in=provider_ids, is_active=True))
    if not providers:
        raise SignInRefused("replayed")
    refusal = None
    for provider in providers:
        outstanding = {k: v["next"] for k, v in pending.items() if v["provider"] == provider.pk}
        client = Saml2Client(_config(provider))
        try:
            response = client.parse_authn_request_response(
                raw, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as exc:  # pysaml2 signals every failed check by an exception
            refusal = SignInRefused(_reason(exc))
            refusal.provider = provider
            continue
        if response is None or response.issuer() != provider.entity_id:
            refusal = SignInRefused("wrong_issuer" if response is not None else "invalid_response")
            refusal.provider = provider
            continue
        break
    else:
        raise refusal
    assertion = response.assertion
    _use_once(provider, assertion)
    ava = response.ava or {}
    name_id = response.name_id
    subject = _first(ava, SUBJECT_ATTRIBUTES)
    if not subject and name_id is not None and name_id.format != NAMEID_FORMAT_TRANSIENT:
        subject = f"nameid:{name_id.text}"
    email = _first(ava, EMAIL_ATTRIBUTES)
    if not subject:
        subject = f"email:{email.lower()}"
    methods = {ref for ref, *_ in response.authn_info() if ref}
    session_index = ""
    if assertion.authn_statement:
        session_index = assertion.authn_statement[0].session_index or ""
    slo = bool(
        Saml2Client(_config(provider)).metadata.single_logout_service(
            provider.entity_id, BINDING_HTTP_REDIRECT, "idpsso"
        )
    )
    asserted = services.Asserted(
        subject=subject,
        email=email,
        # SAML has no "verified" flag: an institution's identity provider is the authority for
        # the addresses in the domains it serves (sign_in refuses any other domain)
        email_verified=bool(email),
        full_name=_first(ava, NAME_ATTRIBUTES)
        or " ".join(filter(None, [_first(ava, ("givenName",)), _first(ava, ("sn", "surname"))])),
        methods=methods,
        logout={"name_id": code_name_id(name_id), "session_index": session_index}
        if slo and name_id is not None
        else {},
    )
    next_url = pending.get(response.in_response_to, {}).get("next", "")
    return provider, asserted, next_url


def _use_once(provider: IdentityProvider, assertion) -> None:
    """Record the assertion id; one seen before is a replay."""
    expires = timezone.now() + timedelta(hours=1)
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        seconds = calendar.timegm(str_to_time(assertion.conditions.not_on_or_after))
        expires = datetime.fromtimestamp(seconds, tz=UTC) + timedelta(minutes=5)
    UsedAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(
                provider=provider, assertion_id=assertion.id, expires_at=expires
            )
    except IntegrityError as exc:
        refusal = SignInRefused("replayed")
        refusal.provider = provider
        raise refusal from exc


# -- single logout ---------------------------------------------------------------------------------


def logout_url(provider: IdentityProvider, data: dict) -> str:
    """A signed LogoutRequest to the provider (HTTP-Redirect), or '' if it offers none."""
    if not data.get("name_id"):
        return ""
    client = Saml2Client(_config(provider))
    destinations = client.metadata.single_logout_service(
        provider.entity_id, BINDING_HTTP_REDIRECT, "idpsso"
    )
    if not destinations:
        return ""
    destination = destinations[0]["location"]
    request_id, logout_request = client.create_logout_request(
        destination,
        provider.entity_id,
        name_id=decode_name_id(data["name_id"]),
        session_indexes=[data["session_index"]] if data.get("session_index") else None,
        sign=False,  # the redirect binding signs the query string instead
    )
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(logout_request),
        destination,
        relay_state=signing.dumps(provider.pk, salt=COOKIE_SALT),
        sign=True,
        sigalg=xmldsig.SIG_RSA_SHA256,
    )
    return dict(info["headers"])["Location"]


def finish_logout(request) -> IdentityProvider | None:
    """The provider's LogoutResponse coming back; returns the provider if it checks out."""
    try:
        pk = signing.loads(request.GET.get("RelayState", ""), salt=COOKIE_SALT, max_age=3600)
    except signing.BadSignature:
        return None
    provider = IdentityProvider.objects.filter(pk=pk).first()
    if provider is None or "SAMLResponse" not in request.GET:
        return None
    client = Saml2Client(_config(provider))
    try:
        response = client.parse_logout_request_response(
            request.GET["SAMLResponse"], BINDING_HTTP_REDIRECT
        )
    except Exception:
        return None
    return provider if response is not None and response.status_ok() else None
