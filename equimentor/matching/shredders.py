"""Matching's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.matching.models import Proposal


def _export(user):
    as_mentee = erasure.rows(Proposal.objects.filter(mentee__user=user), exclude=("mentor_note",))
    as_mentor = erasure.rows(Proposal.objects.filter(mentor__user=user), exclude=("mentee_note",))
    return {"proposals_as_mentee": as_mentee, "proposals_as_mentor": as_mentor}


def _erase(person: erasure.Person) -> int:
    user = person.user
    return Proposal.objects.filter(mentee__user=user).update(mentee_note="") + (
        Proposal.objects.filter(mentor__user=user).update(mentor_note="")
    )


SHREDDER = erasure.Shredder(
    name="matching",
    order=40,
    covers=(
        erasure.Covers(
            Proposal,
            erased="mentee_note mentor_note",
            kept={
                "mentee mentor via status mentee_reply mentor_reply": (
                    "proposals and replies count in the matching reports (time to match)"
                ),
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
