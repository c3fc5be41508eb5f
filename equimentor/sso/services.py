"""State changes for single sign-on: configuring providers, and signing a person in from what a
provider asserted (linking by verified email, or creating the account just in time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit
from equimentor.schemes.models import Institution
from equimentor.sso import secrets
from equimentor.sso.failures import SignInRefused
from equimentor.sso.models import ExternalIdentity, IdentityProvider, ProviderDomain

SESSION_KEY = "sso"  # what the provider told us about this session (see ``Asserted``)


@dataclass
class Asserted:
    """What a provider asserted about the person, after the protocol library verified it."""

    subject: str
    email: str = ""
    email_verified: bool = False
    full_name: str = ""
    methods: set[str] = field(default_factory=set)  # amr/acr or AuthnContextClassRef values
    logout: dict = field(default_factory=dict)  # what single logout needs later (no secrets)


# -- configuration -------------------------------------------------------------------------------


def clean_domains(raw: str | list[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else raw
    domains = sorted({d.strip().lower().lstrip("@") for d in items if d.strip()})
    if not domains:
        raise ValidationError("Give at least one email domain, such as uni.example.ac.uk.")
    bad = [d for d in domains if "." not in d or " " in d or "@" in d or len(d) > 253]
    if bad:
        raise ValidationError(f"Not an email domain: {', '.join(bad)}.")
    return domains


def _set_domains(provider: IdentityProvider, domains: list[str]) -> None:
    taken = (
        ProviderDomain.objects.filter(domain__in=domains)
        .exclude(provider=provider)
        .select_related("provider__institution")
    )
    if taken:
        raise ValidationError(
            "Already served by another institution's provider: "
            + ", ".join(f"{d.domain} ({d.provider.institution})" for d in taken)
        )
    provider.domains.exclude(domain__in=domains).delete()
    for domain in domains:
        ProviderDomain.objects.get_or_create(provider=provider, domain=domain)


@transaction.atomic
def save_provider(
    institution: Institution,
    *,
    protocol: str,
    domains: list[str],
    actor=None,
    issuer: str = "",
    client_id: str = "",
    client_secret: str | None = None,
    metadata_xml: str = "",
    metadata_url: str = "",
    entity_id: str = "",
    is_active: bool = True,
    mfa_values: list[str] | None = None,
) -> IdentityProvider:
    """Create or update the institution's provider. A ``client_secret`` of ``None`` keeps the
    stored one; the secret is stored encrypted and never returned."""
    provider = IdentityProvider.objects.filter(institution=institution).first()
    created = provider is None
    if created:
        provider = IdentityProvider(institution=institution)
    provider.protocol = protocol
    provider.is_active = is_active
    if mfa_values is not None:
        provider.mfa_values = mfa_values
    if protocol == IdentityProvider.Protocol.OIDC:
        if not (issuer and client_id):
            raise ValidationError("An OpenID Connect provider needs its issuer URL and client ID.")
        provider.issuer = issuer.rstrip("/")
        provider.client_id = client_id
        if client_secret:
            provider.client_secret_encrypted = secrets.encrypt(client_secret)
        if not provider.client_secret_encrypted:
            raise ValidationError("An OpenID Connect provider needs its client secret.")
        provider.metadata_xml = provider.metadata_url = provider.entity_id = ""
    else:
        if not (metadata_xml and entity_id):
            raise ValidationError("A SAML provider needs its metadata.")
        provider.metadata_xml = metadata_xml
        provider.metadata_url = metadata_url
        provider.entity_id = entity_id
        provider.issuer = provider.client_id = provider.client_secret_encrypted = ""
    provider.save()
    _set_domains(provider, domains)
    audit.record(
        "sso.provider.added" if created else "sso.provider.updated",
        provider,
        actor=actor,
        institution_id=institution.pk,
        protocol=protocol,
        domains=len(domains),
        active=is_active,
        secret_changed=bool(client_secret),
    )
    return provider


@transaction.atomic
def remove_provider(provider: IdentityProvider, *, actor=None) -> None:
    audit.record("sso.provider.removed", provider, actor=actor, protocol=provider.protocol)
    provider.delete()


def client_secret(provider: IdentityProvider) -> str:
    return secrets.decrypt(provider.client_secret_encrypted)


# -- routing -------------------------------------------------------------------------------------


def provider_for_email(email: str) -> IdentityProvider | None:
    """The active provider serving this address's domain, if any."""
    domain = email.strip().rsplit("@", 1)[-1].lower() if "@" in email else ""
    if not domain:
        return None
    return (
        IdentityProvider.objects.filter(is_active=True, domains__domain=domain)
        .select_related("institution")
        .first()
    )


def active_providers():
    return IdentityProvider.objects.filter(is_active=True).select_related("institution")


# -- signing in ----------------------------------------------------------------------------------


def _served(provider: IdentityProvider, email: str) -> bool:
    domain = email.rsplit("@", 1)[-1].lower()
    return provider.domains.filter(domain=domain).exists()


@transaction.atomic
def sign_in(request, provider: IdentityProvider, asserted: Asserted) -> tuple[User, bool]:
    """Sign the person in from a verified assertion; return the user and whether the account was
    created now. Raises :class:`SignInRefused`.

    An account is found by the provider's subject if it was linked before, otherwise by an email
    address the provider asserts as verified within a domain it serves. An unverified address never
    links to (or creates) an account: whoever holds it could otherwise take over the account of the
    person who really owns it.
    """
    email = asserted.email.strip().lower()
    if not email or "@" not in email or not _served(provider, email):
        raise SignInRefused("domain_not_served")
    link = (
        ExternalIdentity.objects.select_related("user")
        .filter(provider=provider, subject=asserted.subject)
        .first()
    )
    created = False
    if link is not None:
        user = link.user
    else:
        if not asserted.email_verified:
            raise SignInRefused("unverified_email")
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(email, full_name=asserted.full_name[:200])
            except IntegrityError:  # created by a simultaneous sign-in: use that account
                user = User.objects.get(email__iexact=email)
            else:
                created = True
                audit.record("sso.account.created", user, actor=None, provider_id=provider.pk)
        link, _ = ExternalIdentity.objects.get_or_create(
            provider=provider, subject=asserted.subject, defaults={"user": user}
        )
        if link.user_id != user.pk:
            raise SignInRefused("invalid_response")
        audit.record("sso.account.linked", link, actor=user, provider_id=provider.pk)
    if not user.is_active:
        raise SignInRefused("inactive_account")
    link.last_used_at = timezone.now()
    link.save(update_fields=["last_used_at"])
    mfa = bool(asserted.methods & provider.accepted_mfa)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_KEY] = {
        "provider": provider.pk,
        "protocol": provider.protocol,
        "mfa": mfa,
        "logout": asserted.logout,
    }
    audit.record(
        "accounts.signed_in",
        user,
        actor=user,
        method=provider.protocol,
        provider_id=provider.pk,
        mfa=mfa,
    )
    return user, created
