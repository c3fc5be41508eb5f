"""Schemes' part of erasure (see ``core.erasure``): institutions, schemes and their documents are
nobody's personal data and stay; staff roles stay as the record of who could see what."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.schemes.models import (
    Institution,
    InstitutionAlias,
    Scheme,
    SchemeDocument,
    StaffRole,
)

STAFF_TEXT = "the scheme's own settings and texts, written by its staff as the scheme's"


def _export(user):
    return {"staff_roles": erasure.rows(StaffRole.objects.filter(user=user))}


def _erase(person: erasure.Person) -> int:
    return 0


SHREDDER = erasure.Shredder(
    name="schemes",
    order=80,
    covers=(
        erasure.Covers(Institution, kept={"name short_name": "an institution's name"}),
        erasure.Covers(InstitutionAlias, kept={"name": "another name of an institution"}),
        erasure.Covers(
            Scheme,
            kept={
                "name slug summary description eligibility_statements career_stages "
                "identity_dimensions matching_weights matching_policy fair_groups": STAFF_TEXT,
                "contact_email": "the scheme's contact address, published as the scheme's",
            },
        ),
        erasure.Covers(
            SchemeDocument,
            kept={"kind title body": "published documents: the record of what people agreed to"},
        ),
        erasure.Covers(
            StaffRole,
            kept={
                "user role granted_by": (
                    "who held which role, granted by whom: the record of who could see what, "
                    "pointing at the anonymised account"
                )
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
