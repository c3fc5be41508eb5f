"""Single sign-on's part of erasure (see ``core.erasure``): her links to institutions' identity
providers go, so the provider's subject no longer leads to the anonymised account."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.sso.models import ExternalIdentity, IdentityProvider, ProviderDomain, UsedAssertion

PROVIDER = "an institution's identity provider settings, no one's data"


def _export(user):
    return erasure.rows(ExternalIdentity.objects.filter(user=user).select_related("provider"))


def _erase(person: erasure.Person) -> int:
    return ExternalIdentity.objects.filter(user=person.user).delete()[0]


SHREDDER = erasure.Shredder(
    name="sso",
    order=78,
    covers=(
        erasure.Covers(ExternalIdentity, deleted="her links to identity providers"),
        erasure.Covers(
            IdentityProvider,
            kept={
                "protocol issuer client_id client_secret_encrypted metadata_url metadata_xml "
                "entity_id mfa_values": PROVIDER
            },
        ),
        erasure.Covers(ProviderDomain, kept={"domain": PROVIDER}),
        erasure.Covers(
            UsedAssertion,
            kept={"assertion_id": "ids of assertions already used (against replay), no one's"},
        ),
    ),
    erase=_erase,
    export=_export,
)
