"""OpenID Connect sign-in (authorisation code flow with PKCE) through Authlib's Django client.

Authlib does the protocol: discovery, ``state`` kept in the session, ``nonce``, the S256 code
challenge, the token request, the ID token's signature (the provider's JWKS) and its claims. We
only tell it which issuer and audience to expect and translate its errors into reason codes.
"""

from __future__ import annotations

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.django_client import OAuth
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)

from equimentor.sso import services
from equimentor.sso.failures import SignInRefused
from equimentor.sso.models import IdentityProvider

TIMEOUT = 10  # seconds for every request to a provider


def _client(provider: IdentityProvider):
    oauth = OAuth()  # a fresh registry: configuration changes take effect at once
    return oauth.register(
        name=f"idp{provider.pk}",
        client_id=provider.client_id,
        client_secret=services.client_secret(provider),
        server_metadata_url=provider.issuer + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "timeout": TIMEOUT,
        },
    )


def _metadata(client, provider: IdentityProvider) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        raise SignInRefused("unavailable") from exc
    # OpenID Connect Discovery 1.0, section 4.3: the issuer must be the one we configured.
    if metadata.get("issuer", "").rstrip("/") != provider.issuer:
        raise SignInRefused("wrong_issuer")
    return metadata


def start(request, provider: IdentityProvider, redirect_uri: str):
    client = _client(provider)
    _metadata(client, provider)
    return client.authorize_redirect(request, redirect_uri)


def finish(request, provider: IdentityProvider) -> services.Asserted:
    """Complete the flow from the provider's redirect back; raise :class:`SignInRefused`."""
    client = _client(provider)
    metadata = _metadata(client, provider)
    if request.GET.get("error"):
        # the person cancelled, or the provider refused; its description is not shown or logged
        raise SignInRefused("denied")
    try:
        token = client.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
            },
        )
    except MismatchingStateError as exc:
        raise SignInRefused("state_mismatch") from exc
    except ExpiredTokenError as exc:
        raise SignInRefused("expired") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        reason = {
            "iss": "wrong_issuer",
            "aud": "wrong_audience",
            "azp": "wrong_audience",
            "nonce": "nonce_mismatch",
            "exp": "expired",
        }.get(claim, "invalid_response")
        raise SignInRefused(reason) from exc
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise SignInRefused("bad_signature") from exc
    except JoseError as exc:
        raise SignInRefused("invalid_response") from exc
    except OAuthError as exc:  # the token endpoint refused the code (reused, or PKCE failed)
        raise SignInRefused("invalid_response") from exc
    except requests.RequestException as exc:
        raise SignInRefused("unavailable") from exc
    claims = token.get("userinfo")
    if not claims:  # no ID token: this is not an OpenID Connect answer
        raise SignInRefused("invalid_response")
    amr = claims.get("amr") or []
    methods = set(amr if isinstance(amr, list) else [amr])
    if claims.get("acr"):
        methods.add(str(claims["acr"]))
    return services.Asserted(
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        # Microsoft Entra ID sends no email_verified; its optional claim xms_edov says the
        # address's domain is verified as its owner's (docs/deployment.md)
        email_verified=claims.get("email_verified") is True or claims.get("xms_edov") is True,
        full_name=str(claims.get("name") or ""),
        methods=methods,
        logout={"id_token": token["id_token"]} if metadata.get("end_session_endpoint") else {},
    )


def logout_url(provider: IdentityProvider, session_data: dict, post_logout_redirect_uri: str):
    """The provider's end-session URL (RP-initiated logout), or '' if it offers none."""
    client = _client(provider)
    try:
        metadata = _metadata(client, provider)
    except SignInRefused:
        return ""
    if not metadata.get("end_session_endpoint"):
        return ""
    return client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri,
        id_token_hint=session_data.get("id_token"),
        client_id=provider.client_id,
    )["url"]
