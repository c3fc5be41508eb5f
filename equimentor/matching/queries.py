"""Read-only questions other apps ask about matching."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from equimentor.matching.models import Proposal


def awaiting_reply(participant) -> QuerySet[Proposal]:
    """Proposals still waiting for this participant's own reply."""
    return Proposal.objects.filter(
        Q(mentee=participant, mentee_reply="") | Q(mentor=participant, mentor_reply=""),
        status=Proposal.Status.PROPOSED,
    )
