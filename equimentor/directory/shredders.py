"""The directory's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.directory import ordering
from equimentor.directory.models import (
    Choice,
    Conflict,
    MenteePreference,
    MentorListing,
    MentorRanking,
)


def _export(user):
    return {
        "listings": erasure.rows(MentorListing.objects.filter(participant__user=user)),
        "choices_made": erasure.rows(Choice.objects.filter(mentee__user=user)),
        "preferences": erasure.rows(MenteePreference.objects.filter(mentee__user=user)),
        "conflicts_declared": erasure.rows(Conflict.objects.filter(mentee__user=user)),
    }


def _erase(person: erasure.Person) -> int:
    user = person.user
    listings = MentorListing.objects.filter(participant__user=user)
    schemes = set(listings.values_list("participant__scheme_id", flat=True))
    n = listings.update(is_published=False)
    for scheme_id in schemes:  # (an update sends no signal) her card leaves at once
        ordering.changed(scheme_id)
    n += Choice.objects.filter(mentee__user=user).update(note="")
    n += person.scrub_rows(Choice.objects.all(), ["note"])  # others' notes naming her
    # which shared characteristics mattered to her (tied to her identity answers)
    n += MenteePreference.objects.filter(mentee__user=user).delete()[0]
    # the conflicts of interest she declared, and her rankings of mentees
    n += Conflict.objects.filter(mentee__user=user).delete()[0]
    n += MentorRanking.objects.filter(mentor__user=user).delete()[0]
    return n


OTHERS = "another mentee's declaration (or mentor's ranking) about her: theirs, coded, no text"

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
        erasure.Covers(MenteePreference, deleted="her preferences"),
        erasure.Covers(
            Conflict, deleted="the conflicts she declared", kept={"mentor reason": OTHERS}
        ),
        erasure.Covers(MentorRanking, deleted="her rankings of mentees", kept={"mentee": OTHERS}),
    ),
    erase=_erase,
    export=_export,
)
