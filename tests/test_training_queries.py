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


def test_induction_pages_do_not_grow_with_people_or_completions(client, scheme_a, alice):
    from equimentor.training import induction

    draft = induction.start_draft(scheme_a, actor=alice)
    items = [
        induction.save_item(
            draft, induction.ItemData("link", f"Item {i}", url="https://x.example"), actor=alice
        )
        for i in range(3)
    ]
    induction.publish(draft, actor=alice)
    people = members(scheme_a, alice, 2)
    induction.complete_item(people[0], items[0], actor=None)
    pages = {
        "pack": (alice, reverse("training:manage_induction", args=["scheme-a"])),
        "held back": (alice, reverse("training:manage_induction_holdups", args=["scheme-a"])),
        "mine": (people[0].user, reverse("training:induction", args=["scheme-a"])),
    }
    before = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        before[name] = _count(client, url)
    for p in members(scheme_a, alice, 6, prefix="more"):
        for item in items[:2]:
            induction.complete_item(p, item, actor=None)
    after = {}
    for name, (user, url) in pages.items():
        client.force_login(user)
        after[name] = _count(client, url)
    assert after == before
