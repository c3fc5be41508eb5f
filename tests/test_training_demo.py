"""The demo's induction pack, sessions, waiting list, attendance and feedback, seeded once."""

from __future__ import annotations

import pytest

from equimentor.training.models import (
    InductionPack,
    ItemCompletion,
    Registration,
    Session,
    SessionFeedback,
)


def _snapshot():
    return (
        sorted(Session.objects.values_list("title", "kind", "status")),
        sorted(
            (t, s, str(a))
            for t, s, a in Registration.objects.values_list("session__title", "status", "attended")
        ),
        ItemCompletion.objects.count(),
        SessionFeedback.objects.count(),
    )


@pytest.mark.django_db
def test_demo_training(seeded_demo, db):
    from django.utils import timezone

    from equimentor.demo.seed import seed
    from equimentor.reports.models import rules_for
    from equimentor.reports.queries import Scope
    from equimentor.reports.training import training_reports
    from equimentor.training import induction

    scheme = Session.objects.first().scheme  # seed() returned True (tests/demo_snapshot.py)
    assert scheme.pk == seeded_demo
    now = timezone.now()
    assert InductionPack.objects.get(scheme=scheme).is_current
    held = Session.objects.filter(ends_at__lte=now)
    assert held.count() == 5 and not held.filter(attendance_recorded_at__isnull=True).exists()
    assert Registration.objects.filter(session__in=held, attended=True).exists()
    upcoming = Session.objects.filter(starts_at__gt=now)
    assert set(upcoming.values_list("kind", flat=True)) == {
        "peer_support",
        "training",
        "information",
    }
    assert Registration.objects.filter(session__in=upcoming, status="waitlisted").count() == 2
    assert SessionFeedback.objects.exists()
    _, holdups = induction.holdups(scheme)
    assert holdups, "some people still have required items to do"
    titles = [r.title for r in training_reports(Scope(scheme), [], rules_for(scheme))]
    assert titles[:2] == ["Training and peer-support sessions held", "Session feedback by kind"]
    before = _snapshot()
    assert seed() is False
    assert _snapshot() == before
