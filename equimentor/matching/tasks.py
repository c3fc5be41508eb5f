"""Background work of matching: the emails of a published round."""

from __future__ import annotations

from itertools import islice

from django.db import transaction

from equimentor.core import mail
from equimentor.core.models import OutgoingEmail
from equimentor.core.tasks import task
from equimentor.matching import emails
from equimentor.matching.models import Proposal

CHUNK = 200


@task()
def email_proposals(round_id: int) -> dict:
    """Email both sides of each proposal of a round that is still waiting for replies.

    Safe to run again (a worker that died mid-way has its task run again): each email has a key,
    and proposals whose emails exist already are skipped before anything is rendered.
    """
    waiting = Proposal.objects.filter(round_id=round_id, status=Proposal.Status.PROPOSED)
    ids = iter(waiting.order_by("pk").values_list("pk", flat=True))
    queued = 0
    while chunk_ids := list(islice(ids, CHUNK)):
        chunk = list(
            waiting.filter(pk__in=chunk_ids)
            .select_related("scheme", "mentee__user", "mentor__user")
            .order_by("pk")
        )
        keys = {emails.proposal_key(p, side) for p in chunk for side in ("mentee", "mentor")}
        used = set(OutgoingEmail.objects.filter(key__in=keys).values_list("key", flat=True))
        with transaction.atomic(), mail.batch():
            for proposal in chunk:
                if emails.proposal_key(proposal, "mentee") not in used:
                    emails.proposal_to_mentee(proposal)
                    queued += 1
                if emails.proposal_key(proposal, "mentor") not in used:
                    emails.proposal_to_mentor(proposal)
                    queued += 1
    return {"queued": queued}
