"""Identity providers (OIDC or SAML) configured per institution, and the accounts they sign in.

A provider serves one or more email domains. Its client secret is stored encrypted
(``sso.secrets``) and never shown again once saved; nothing here holds personal data except the
link between a provider's subject identifier and a local account (``ExternalIdentity``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from equimentor.schemes.models import Institution

# Provider-asserted authentication methods that count as multi-factor, unless a provider says
# otherwise. OIDC: RFC 8176 "amr" values, and "acr" values in use (REFEDS MFA, Entra ID's
# multipleauthn). SAML: AuthnContextClassRef values.
DEFAULT_OIDC_MFA = ["mfa", "otp", "hwk", "sc", "https://refeds.org/profile/mfa"]
DEFAULT_SAML_MFA = [
    "https://refeds.org/profile/mfa",
    "http://schemas.microsoft.com/claims/multipleauthn",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:TimeSyncToken",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
]


class IdentityProvider(models.Model):
    class Protocol(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        SAML = "saml", "SAML 2.0"

    institution = models.OneToOneField(
        Institution, on_delete=models.CASCADE, related_name="identity_provider"
    )
    protocol = models.CharField(max_length=4, choices=Protocol.choices)
    is_active = models.BooleanField(
        "In use", default=True, help_text="Turned off, the sign-in page no longer offers it."
    )
    # OpenID Connect
    issuer = models.URLField("Issuer URL", max_length=500, blank=True)
    client_id = models.CharField("Client ID", max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    # SAML 2.0
    metadata_url = models.URLField("Metadata URL", max_length=500, blank=True)
    metadata_xml = models.TextField("Metadata XML", blank=True)
    entity_id = models.CharField("IdP entity ID", max_length=500, blank=True, editable=False)
    # Both
    mfa_values = models.JSONField(
        "Values that mean multi-factor sign-in",
        default=list,
        blank=True,
        help_text="OIDC amr/acr or SAML AuthnContextClassRef values; empty means the defaults.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution__name"]

    def __str__(self) -> str:
        return f"{self.institution} ({self.get_protocol_display()})"

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def domain_list(self) -> list[str]:
        return [d.domain for d in self.domains.all()]

    @property
    def accepted_mfa(self) -> set[str]:
        if self.mfa_values:
            return set(self.mfa_values)
        return set(DEFAULT_OIDC_MFA if self.protocol == self.Protocol.OIDC else DEFAULT_SAML_MFA)


class ProviderDomain(models.Model):
    """An email domain whose people sign in through ``provider`` (one provider per domain)."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ExternalIdentity(models.Model):
    """A provider's subject (OIDC ``sub`` or SAML NameID) linked to a local account."""

    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.CASCADE, related_name="identities"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    subject = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="sso_one_link_per_subject")
        ]

    def __str__(self) -> str:
        return f"External identity {self.pk}"


class UsedAssertion(models.Model):
    """A SAML assertion already consumed, kept until it expires so it can never be used twice."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "assertion_id"], name="sso_assertion_used_once"
            )
        ]

    def __str__(self) -> str:
        return f"Used assertion {self.pk}"
