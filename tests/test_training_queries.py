"""The session list pages run the same number of queries however many sessions and people."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.training import services
from tests.training_setup import local, members, session


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(scheme, coordinator, people, n, start):
    for i in range(start, start + n):
        s = session(scheme, coordinator, title=f"S{i}", capacity=2, local_start=local(days=3 + i))
        for p in people:
            services.register(s, p, actor=p.user)


def test_list_pages_do_not_grow_with_sessions_or_registrations(client, scheme_a, alice):
    people = members(scheme_a, alice, 3)
    _grow(scheme_a, alice, people, 1, 0)
    first = session(scheme_a, alice, title="Watched", capacity=2)
    for p in people:
        services.register(first, p, actor=p.user)
    pages = {
        "coordinator list": (alice, reverse("training:manage_sessions", args=["scheme-a"])),
        "coordinator session": (
            alice,
            reverse("training:manage_session", args=["scheme-a", first.pk]),
        ),
        "participant list": (people[0].user, reverse("training:sessions", args=["scheme-a"])),
    }
    before = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        before[name] = _count(client, url)
    more = members(scheme_a, alice, 4, prefix="more")
    _grow(scheme_a, alice, people + more, 6, 1)
    for p in more:
        services.register(first, p, actor=p.user)
    after = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        after[name] = _count(client, url)
    assert after == before
