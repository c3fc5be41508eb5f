"""Capacity holds when acceptances arrive at the same moment (row locks on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from equimentor.matching import services
from equimentor.matching.models import Proposal
from tests import factories

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_simultaneous_accepts_never_exceed_capacity():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race test runs on PostgreSQL (CI runs it there)")
    scheme = factories.make_scheme(slug="race")
    coordinator = factories.make_staff(scheme)
    mentor = factories.register_participant(
        scheme, "mentor@example.org", role="mentor", approve_by=coordinator
    )
    mentor.mentor_capacity = 1
    mentor.save(update_fields=["mentor_capacity"])
    mentees = [
        factories.register_participant(scheme, f"m{i}@example.org", approve_by=coordinator)
        for i in range(4)
    ]
    # Four proposals to a mentor with one place (say the coordinator's capacity was larger when they were
    # published), each already accepted by the mentor: the mentees' replies race.
    proposals = [
        Proposal.objects.create(
            scheme=scheme,
            mentee=m,
            mentor=mentor,
            via="choice",
            choice_rank=1,
            proposed_at=timezone.now(),
            mentor_reply="accept",
        )
        for m in mentees
    ]
    barrier = threading.Barrier(len(proposals))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(proposal, mentee):
        try:
            barrier.wait()
            services.reply(proposal, mentee, accept=True, actor=mentee.user)
            result = "accepted"
        except services.MatchingError:
            result = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=accept, args=(p, m))
        for p, m in zip(proposals, mentees, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "refused", "refused", "refused"]
    assert Proposal.objects.filter(mentor=mentor, status="accepted").count() == 1
