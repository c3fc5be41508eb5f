"""Session feedback stays anonymous to someone who reads the database: answers are stored in a
batch of their own, never in the transaction that marks a request answered (real commits; on
PostgreSQL the transaction ids are compared too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from equimentor.core.models import AuditEvent
from equimentor.training import services
from equimentor.training.models import FeedbackInvitation, PendingFeedback, SessionFeedback
from tests import factories
from tests.training_setup import members, session

pytestmark = pytest.mark.django_db(transaction=True)


def _xmins(table: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text::bigint FROM {table}")
        return {row[0] for row in cursor.fetchall()}


def test_answers_are_stored_in_a_batch_apart_from_the_requests():
    scheme = factories.make_scheme(slug="feedback-anonymity")
    coordinator = factories.make_staff(scheme)
    people = members(scheme, coordinator, 6)
    s = session(scheme, coordinator, capacity=6)
    for p in people:
        services.register(s, p, actor=p.user)
    with time_machine.travel(s.ends_at + timedelta(hours=1)):
        services.record_attendance(
            s, set(s.registrations.values_list("pk", flat=True)), actor=coordinator
        )
        invitations = list(FeedbackInvitation.objects.order_by("id"))
        for n, inv in enumerate(invitations[:5], start=1):
            services.submit_feedback(inv, usefulness=1 + n % 5, would_recommend=n % 2 == 0)
            # the task after each commit stores nothing until five wait
            assert SessionFeedback.objects.count() == (5 if n == 5 else 0)
        assert not PendingFeedback.objects.exists()
        assert list(
            AuditEvent.objects.filter(action__startswith="training.feedback").values_list(
                "action", "data"
            )
        ) == [("training.feedback.stored", {"count": 5})]
        if connection.vendor == "postgresql":
            answers = _xmins("training_sessionfeedback")
            assert len(answers) == 1  # one batch, one transaction
            assert not answers & _xmins("training_feedbackinvitation")
        # the sixth answer waits until nobody else can answer, then is stored alone
        services.submit_feedback(invitations[5], usefulness=3, would_recommend=True)
        assert SessionFeedback.objects.count() == 6
