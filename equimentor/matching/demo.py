"""Demo matching history: one published round with replies, and a round collecting choices."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from equimentor.matching import services
from equimentor.matching.models import MatchingRound, Proposal


def seed_matching(scheme, coordinator, rng: random.Random) -> None:
    """Run round 1 through the real services, reply to most proposals, and open round 2."""
    first = services.open_round(scheme, actor=coordinator, name="Round 1")
    services.close_choices(first, actor=coordinator)
    proposals = services.publish(first, actor=coordinator)
    for proposal in proposals:
        if proposal.mentee.user.email.startswith(("mentee@", "mentor@")):
            continue  # the demo mentee and mentor answer their own proposals
        roll = rng.random()
        if roll < 0.7:
            services.reply(proposal, proposal.mentee, accept=True, actor=proposal.mentee.user)
            services.reply(proposal, proposal.mentor, accept=True, actor=proposal.mentor.user)
        elif roll < 0.8:
            services.reply(proposal, proposal.mentor, accept=False, actor=proposal.mentor.user)
    # Spread the history over the past weeks so "days to match" reads like a real scheme.
    past = timezone.now() - timedelta(days=21)
    MatchingRound.objects.filter(pk=first.pk).update(
        opened_at=past - timedelta(days=14), closed_at=past, published_at=past
    )
    for proposal in Proposal.objects.filter(round=first).select_related("mentee"):
        decided = past + timedelta(days=rng.randint(1, 20)) if proposal.decided_at else None
        Proposal.objects.filter(pk=proposal.pk).update(proposed_at=past, decided_at=decided)
    services.open_round(scheme, actor=coordinator, name="Round 2")
