"""Content-Security-Policy on every response (django-csp), strict: the product's pages load one
script and one stylesheet from this site and nothing inline, so nothing else may run or load.

``settings.CONTENT_SECURITY_POLICY`` holds the policy. One addition is made here: a page with a
form that signs in or out through an institution (``sso:choose``, ``sso:single_logout``) is
answered with a redirect to the institution's identity provider, and browsers check that
redirect against ``form-action``; those pages add the origins of the active providers (an OpenID
provider's issuer, a SAML provider's single sign-on and logout locations from its metadata).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.urls import NoReverseMatch, reverse

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
    from equimentor.sso.models import IdentityProvider

    origins = set()
    for protocol, issuer, metadata in IdentityProvider.objects.filter(is_active=True).values_list(
        "protocol", "issuer", "metadata_xml"
    ):
        if protocol == IdentityProvider.Protocol.OIDC:
            origins.add(_origin(issuer))
        else:
            origins.update(_origin(u) for u in SAML_LOCATION.findall(metadata or ""))
    return sorted(o for o in origins if o)


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and self._posts_to_a_provider(response):
            origins = provider_origins()
            if origins:
                parts.update = {**(parts.update or {}), "form-action": origins}
        return parts

    @staticmethod
    def _posts_to_a_provider(response) -> bool:
        if response.streaming or "html" not in response.get("Content-Type", ""):
            return False
        body = response.content
        try:
            actions = [reverse(name) for name in ("sso:choose", "sso:single_logout")]
        except NoReverseMatch:  # a URL configuration without sign-in (some tests)
            return False
        return any(f'action="{action}"'.encode() in body for action in actions)
