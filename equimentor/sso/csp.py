"""The identity providers' origins, for the Content-Security-Policy's ``form-action`` on the
pages that sign in or out through an institution (registered with ``core.csp`` in ``apps.py``):
an OpenID provider's issuer, a SAML provider's single sign-on and logout locations from its
metadata. The browser checks the redirect to the provider against it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from equimentor.sso.models import IdentityProvider

SAML_LOCATION = re.compile(
    r"<(?:\w+:)?(?:SingleSignOnService|SingleLogoutService)\b[^>]*\bLocation=\"([^\"]+)\"", re.S
)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def provider_origins() -> list[str]:
    """Where the active identity providers' sign-in and sign-out pages are."""
    origins = set()
    for protocol, issuer, metadata in IdentityProvider.objects.filter(is_active=True).values_list(
        "protocol", "issuer", "metadata_xml"
    ):
        if protocol == IdentityProvider.Protocol.OIDC:
            origins.add(_origin(issuer))
        else:
            origins.update(_origin(u) for u in SAML_LOCATION.findall(metadata or ""))
    return sorted(o for o in origins if o)
