"""Registrations arriving at the same moment never overbook a session, and the waiting list keeps
the order in which people joined it (the session's row lock on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from equimentor.training import services
from equimentor.training.models import Registration
from tests import factories
from tests.training_setup import members, session

pytestmark = pytest.mark.postgres


def _race(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def run(fn):
        try:
            barrier.wait()
            fn()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_never_overbook():
    if connection.vendor != "postgresql":
        pytest.skip("row-lock race test runs on PostgreSQL (CI runs it there)")
    scheme = factories.make_scheme(slug="race-sessions")
    coordinator = factories.make_staff(scheme)
    people = members(scheme, coordinator, 12)
    s = session(scheme, coordinator, capacity=3)
    errors = _race([lambda p=p: services.register(s, p, actor=p.user) for p in people])
    assert errors == []
    regs = list(Registration.objects.filter(session=s))
    assert len(regs) == 12
    assert sum(r.status == "confirmed" for r in regs) == 3
    queue = sorted((r for r in regs if r.status == "waitlisted"), key=lambda r: (r.queued_at, r.pk))
    assert len(queue) == 9
    # the places were given in the order the locks were granted: nobody waiting joined first
    first_waiting = queue[0].registered_at
    assert all(r.registered_at <= first_waiting for r in regs if r.status == "confirmed")

    # now the three with places cancel at once while two more register: still never over 3,
    # and the freed places go to the head of the queue, in its order
    holders = [r for r in regs if r.status == "confirmed"]
    late = members(scheme, coordinator, 2, prefix="late")
    errors = _race(
        [lambda r=r: services.cancel_registration(r, actor=None) for r in holders]
        + [lambda p=p: services.register(s, p, actor=p.user) for p in late]
    )
    assert errors == []
    confirmed = set(
        Registration.objects.filter(session=s, status="confirmed").values_list("pk", flat=True)
    )
    assert len(confirmed) == 3
    assert confirmed == {r.pk for r in queue[:3]}
    waiting = list(
        Registration.objects.filter(session=s, status="waitlisted").order_by("queued_at", "id")
    )
    assert [r.pk for r in waiting[:6]] == [r.pk for r in queue[3:]]
    assert len(waiting) == 8
