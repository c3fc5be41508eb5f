"""Background work of matching: the emails of a published round."""

from __future__ import annotations

from datetime import timedelta
from itertools import islice

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from equimentor.core import mail
from equimentor.core.models import OutgoingEmail
from equimentor.core.tasks import task
from equimentor.matching import emails
from equimentor.matching.models import MatchingRound, Proposal

CHUNK = 200
# a published round whose emails have not all been queued this long after publishing is handed to
# a worker again (the task queue refused the first task, or its worker died), for this long
RESEND_AFTER = timedelta(minutes=10)
RESEND_FOR = timedelta(days=14)


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
    MatchingRound.objects.filter(pk=round_id, proposals_emailed_at__isnull=True).update(
        proposals_emailed_at=timezone.now()
    )
    return {"queued": queued}


def sweep_proposal_emails() -> dict[str, int]:
    """The periodic job ``matching.proposal_emails``: a round published more than
    ``RESEND_AFTER`` ago (and less than ``RESEND_FOR``) whose proposals' emails were never all
    queued, because the task queue refused the task at publication or its worker died, is handed
    to a worker again. The task skips emails already made, so nobody is emailed twice."""
    now = timezone.now()
    stuck = list(
        MatchingRound.objects.filter(
            status=MatchingRound.Status.PUBLISHED,
            proposals_emailed_at__isnull=True,
            published_at__lte=now - RESEND_AFTER,
            published_at__gte=now - RESEND_FOR,
        )
        .filter(Exists(Proposal.objects.filter(round=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    for round_id in stuck:
        email_proposals.enqueue(round_id)
    return {"rounds": len(stuck)} if stuck else {}
