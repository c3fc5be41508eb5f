"""Staff's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.staff.models import SiteAdministrator, StaffInvitation

ACCESS = "the record of who could run the site and who granted it, the anonymised account"


def _export(user):
    return {
        "site_administrator": erasure.rows(SiteAdministrator.objects.filter(user=user)),
        "invitations_received": erasure.rows(
            StaffInvitation.objects.filter(email__iexact=user.email)
        ),
    }


def _erase(person: erasure.Person) -> int:
    """Invitations addressed to her go (they hold her address and name); those she sent stay,
    pointing at the anonymised account."""
    n = StaffInvitation.objects.filter(email__iexact=person.email).delete()[0]
    return n + person.scrub_rows(StaffInvitation.objects.all(), ["full_name"])


SHREDDER = erasure.Shredder(
    name="staff",
    order=75,
    covers=(
        erasure.Covers(SiteAdministrator, kept={"user granted_by": ACCESS}),
        erasure.Covers(
            StaffInvitation,
            deleted="invitations to her address",
            erased="full_name",
            kept={
                "invited_by accepted_by": "who invited and who accepted, the anonymised account",
                "role": "the role offered",
                "email": "other people's invitations: their address",
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
