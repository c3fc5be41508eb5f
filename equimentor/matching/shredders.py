"""Matching's part of erasure (see ``core.erasure``). Rounds, runs, pairs and proposals stay (the
matching reports count them); what quotes her or names her goes."""

from __future__ import annotations

import re

from django.db.models import Q

from equimentor.core import erasure
from equimentor.matching.models import (
    Adjustment,
    MatchingRound,
    MatchingRun,
    Proposal,
    ProposedPair,
)

# reasons that quote the pair's own text: the interests they share, the department in common
_QUOTING = [
    (re.compile(r"^shared interest in .*$"), "shared interest"),
    (re.compile(r"^same specialty: .*$"), "same specialty"),
]


def _unquoted(reasons: list) -> list:
    out = []
    for reason in reasons:
        if isinstance(reason, str):
            for pattern, plain in _QUOTING:
                reason = pattern.sub(plain, reason)
        out.append(reason)
    return out


def _export(user):
    as_mentee = erasure.rows(Proposal.objects.filter(mentee__user=user), exclude=("mentor_note",))
    as_mentor = erasure.rows(Proposal.objects.filter(mentor__user=user), exclude=("mentee_note",))
    return {"proposals_as_mentee": as_mentee, "proposals_as_mentor": as_mentor}


def _erase(person: erasure.Person) -> int:
    user = person.user
    n = Proposal.objects.filter(mentee__user=user).update(mentee_note="")
    n += Proposal.objects.filter(mentor__user=user).update(mentor_note="")
    n += person.scrub_rows(Proposal.objects.all(), ["mentee_note", "mentor_note"])
    hers = Q(mentee__user=user) | Q(mentor__user=user)
    for model in (ProposedPair, Proposal):
        for row in model.objects.filter(hers).only("reasons").iterator():
            plain = _unquoted(row.reasons)
            if plain != row.reasons:
                row.reasons = plain
                row.save(update_fields=["reasons"])
                n += 1
        # notes on other mentees' dropped choices name her as the mentor
        n += person.scrub_rows(model.objects.all(), ["reasons"])
    n += person.scrub_rows(MatchingRound.objects.all(), ["name"])
    return n


COUNTED = "pairs, proposals and replies count in the matching reports (coded, ids)"

SHREDDER = erasure.Shredder(
    name="matching",
    order=40,
    covers=(
        erasure.Covers(
            MatchingRound,
            erased="name",
            kept={"status": "where the round is"},
        ),
        erasure.Covers(
            MatchingRun,
            kept={
                "created_by": "who ran it (staff), pointing at the anonymised account",
                "metrics": "the run's counts",
                "unmatched": "ids and reasons in the engine's words, which quote no one",
            },
        ),
        erasure.Covers(
            ProposedPair,
            erased="reasons",
            kept={"mentee mentor via components": COUNTED},
        ),
        erasure.Covers(
            Adjustment, kept={"kind mentee mentor": "the coordinator's adjustments to a round"}
        ),
        erasure.Covers(
            Proposal,
            erased="mentee_note mentor_note reasons",
            kept={"mentee mentor via status mentee_reply mentor_reply": COUNTED},
        ),
    ),
    erase=_erase,
    export=_export,
)
