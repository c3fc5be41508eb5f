"""The directory's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorListing


def _export(user):
    return {
        "listings": erasure.rows(MentorListing.objects.filter(participant__user=user)),
        "choices_made": erasure.rows(Choice.objects.filter(mentee__user=user)),
        "preferences": erasure.rows(MenteePreference.objects.filter(mentee__user=user)),
        "conflicts_declared": erasure.rows(Conflict.objects.filter(mentee__user=user)),
    }


def _erase(person: erasure.Person) -> int:
    user = person.user
    n = MentorListing.objects.filter(participant__user=user).update(is_published=False)
    return n + Choice.objects.filter(mentee__user=user).update(note="")


SHREDDER = erasure.Shredder(
    name="directory",
    order=30,
    covers=(
        erasure.Covers(
            MentorListing,
            kept={"participant": "the listing stays, unpublished, on the anonymised participation"},
        ),
        erasure.Covers(
            Choice,
            erased="note",
            kept={"mentee mentor": "choices made count in the matching reports"},
        ),
    ),
    erase=_erase,
    export=_export,
)
