"""Object-level access to matching rounds and proposals."""

from __future__ import annotations

from django.http import Http404

from equimentor.enrolment.access import get_own_participation
from equimentor.matching.models import MatchingRound, Proposal


def get_round_for_coordinator(scheme, pk: int) -> MatchingRound:
    """A round of ``scheme`` (whose coordinator ``staff.access.scheme_staff`` resolved); another
    scheme's round, or none, is not found (404) whatever its id."""
    matching_round = (
        MatchingRound.objects.select_related("scheme").filter(scheme=scheme, pk=pk).first()
    )
    if matching_round is None:
        raise Http404("No such matching round in this scheme.")
    return matching_round


def get_own_proposal(user, slug: str, pk: int) -> tuple[Proposal, object]:
    """A proposal in which the signed-in person is the mentee or the mentor."""
    participant = get_own_participation(user, slug)
    proposal = (
        Proposal.objects.select_related("scheme", "mentee__user", "mentor__user")
        .filter(scheme=participant.scheme, pk=pk)
        .first()
    )
    if proposal is None or participant.pk not in (proposal.mentee_id, proposal.mentor_id):
        raise Http404("No such proposal.")
    return proposal, participant
