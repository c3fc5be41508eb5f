"""A mentor's optional ranking of the mentees who chose them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services
from equimentor.directory.models import MentorRanking
from equimentor.directory.services import DirectoryError
from tests import directory_support as support


@pytest.fixture
def chosen(scheme_a, alice):
    mentor = support.mentor(scheme_a, alice)
    mentees = [support.mentee(scheme_a, alice) for _ in range(3)]
    for m in mentees:
        services.add_choice(m, mentor, note=f"note from {m.pk}", actor=m.user)
    return mentor, mentees


def order(mentor):
    return list(MentorRanking.objects.filter(mentor=mentor).values_list("mentee_id", "rank"))


def test_it_works(chosen):
    mentor, (a, b, c) = chosen
    services.set_mentor_ranking(mentor, [c.pk, a.pk], actor=mentor.user)
    assert order(mentor) == [(c.pk, 1), (a.pk, 2)]
    event = AuditEvent.objects.get(action="directory.ranking.set")
    assert event.data == {"mentee_ids": [c.pk, a.pk]}
    services.set_mentor_ranking(mentor, [], actor=mentor.user)
    assert order(mentor) == []


def test_it_validates_ownership_only_mentees_who_chose_them(chosen, scheme_a, alice):
    mentor, (a, _, _) = chosen
    stranger = support.mentee(scheme_a, alice)
    with pytest.raises(DirectoryError, match="You can only rank mentees who chose you."):
        services.set_mentor_ranking(mentor, [a.pk, stranger.pk], actor=mentor.user)
    with pytest.raises(DirectoryError, match="Give each mentee a different rank."):
        services.set_mentor_ranking(mentor, [a.pk, a.pk], actor=mentor.user)
    with pytest.raises(DirectoryError, match="Only approved mentors"):
        services.set_mentor_ranking(stranger, [], actor=stranger.user)


def test_a_withdrawn_choice_drops_out_of_the_ranking(chosen):
    mentor, (a, b, c) = chosen
    services.set_mentor_ranking(mentor, [a.pk, b.pk, c.pk], actor=mentor.user)
    services.remove_choice(a, mentor, actor=a.user)
    assert order(mentor) == [(b.pk, 1), (c.pk, 2)]
    services.set_choices(b, [], actor=b.user)
    assert order(mentor) == [(c.pk, 1)]


def test_the_listing_page_shows_choosers_and_saves_a_ranking(client, chosen):
    mentor, (a, b, c) = chosen
    client.force_login(mentor.user)
    url = reverse("directory:listing", args=["scheme-a"])
    page = client.get(url).content.decode()
    assert "3 mentees chose you" in page
    assert f"note from {a.pk}" in page and "Fellowship advice" in page
    ranking = reverse("directory:ranking", args=["scheme-a"])
    response = client.post(ranking, {f"rank_{a.pk}": "1", f"rank_{b.pk}": "1"})
    assert response.status_code == 400
    assert "Give each mentee a different rank" in response.content.decode()
    response = client.post(ranking, {f"rank_{a.pk}": "2", f"rank_{b.pk}": "", f"rank_{c.pk}": "1"})
    assert response.status_code == 302
    assert order(mentor) == [(c.pk, 1), (a.pk, 2)]
    page = client.get(url).content.decode()
    assert '<option value="1" selected>1</option>' in page
