"""The coordinator's proposals page gives the median days from registration to an accepted match,
read through matching's own query (``matching.queries.days_to_match``, which the reports use
too), so the page agrees with the reports' conversion table without matching importing reports."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from equimentor.lib.disclosure import Rules
from equimentor.matching import services as matching
from equimentor.matching.models import Proposal
from equimentor.reports.queries import Scope
from equimentor.reports.sections import conversions
from tests.matching_setup import choose, people


def test_it_shows_the_median_days_to_match(client, scheme_a, alice):
    mentors, mentees = people(scheme_a, alice, mentors=3, mentees=3, capacity=1)
    for mentee, mentor in zip(mentees, mentors, strict=True):
        choose(mentee, mentor)
    rnd = matching.open_round(scheme_a, actor=alice)
    matching.close_choices(rnd, actor=alice)
    for p in matching.publish(rnd, actor=alice):
        matching.reply(p, p.mentor, accept=True, actor=p.mentor.user)
        matching.reply(p, p.mentee, accept=True, actor=p.mentee.user)
    accepted = Proposal.objects.filter(scheme=scheme_a, status="accepted").select_related("mentee")
    assert accepted.count() == 3
    for days, p in zip((4, 11, 30), accepted.order_by("pk"), strict=True):
        Proposal.objects.filter(pk=p.pk).update(
            decided_at=p.mentee.registered_at + timedelta(days=days, hours=2)
        )

    client.force_login(alice)
    page = client.get(reverse("matching:proposals", args=[scheme_a.slug]))

    assert page.status_code == 200
    assert "3 accepted; median time from registration to an accepted match: 11 days." in (
        page.content.decode()
    )
    loose = Rules(threshold=3, min_values=3)
    rows = dict(conversions(Scope(scheme_a), loose).rows)
    assert rows["Median days from registration to match"] == "11"
