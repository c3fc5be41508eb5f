"""Choices change only while there is no matching round, or the latest one is collecting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.directory import services
from equimentor.directory.models import Choice, Conflict
from equimentor.directory.services import DirectoryError
from equimentor.matching.models import MatchingRound
from tests import directory_support as support

CLOSED = "Choices are closed while the coordinator runs matching."


@pytest.fixture
def setup(scheme_a, alice):
    mentors = [support.mentor(scheme_a, alice) for _ in range(3)]
    mentee = support.mentee(scheme_a, alice)
    services.set_choices(mentee, [mentors[0].pk, mentors[1].pk], actor=mentee.user)
    return scheme_a, mentee, mentors


def test_it_works_while_the_round_is_collecting(setup):
    scheme, mentee, mentors = setup
    support.open_round(scheme)
    services.add_choice(mentee, mentors[2], actor=mentee.user)
    assert services.choices_are_open(scheme)


def test_it_refuses_every_change_once_choices_close(setup):
    scheme, mentee, mentors = setup
    services.set_mentor_ranking(mentors[0], [mentee.pk], actor=mentors[0].user)
    support.open_round(scheme)
    support.open_round(scheme, MatchingRound.Status.CLOSED)  # the latest round decides
    user = mentee.user
    attempts = [
        lambda: services.add_choice(mentee, mentors[2], actor=user),
        lambda: services.set_choices(mentee, [mentors[2].pk], actor=user),
        lambda: services.remove_choice(mentee, mentors[0], actor=user),
        lambda: services.move_choice(mentee, mentors[1], "up", actor=user),
        lambda: services.set_choice_note(mentee, mentors[0], "hello", actor=user),
        lambda: services.set_preferences(mentee, ["pathway"], actor=user),
        lambda: services.set_mentor_ranking(mentors[0], [], actor=mentors[0].user),
    ]
    for attempt in attempts:
        with pytest.raises(DirectoryError, match=CLOSED):
            attempt()
    assert list(Choice.objects.filter(mentee=mentee).values_list("mentor_id", "rank")) == [
        (mentors[0].pk, 1),
        (mentors[1].pk, 2),
    ]


def test_published_proposals_keep_choices_closed(setup):
    scheme, mentee, mentors = setup
    support.open_round(scheme, MatchingRound.Status.PUBLISHED)
    with pytest.raises(DirectoryError, match="published this round's proposals"):
        services.add_choice(mentee, mentors[2], actor=mentee.user)


def test_a_conflict_can_still_be_named_but_not_taken_back(setup):
    scheme, mentee, mentors = setup
    support.open_round(scheme, MatchingRound.Status.CLOSED)
    services.add_conflict(mentee, mentors[0], "line_manager", actor=mentee.user)
    # safety first: the conflicting choice goes even while choices are closed
    assert list(Choice.objects.filter(mentee=mentee).values_list("mentor_id", "rank")) == [
        (mentors[1].pk, 1)
    ]
    with pytest.raises(DirectoryError, match=CLOSED):
        services.remove_conflict(mentee, mentors[0], actor=mentee.user)
    assert Conflict.objects.filter(mentee=mentee).count() == 1


def test_the_pages_say_so_and_offer_no_changes(client, setup):
    scheme, mentee, mentors = setup
    support.open_round(scheme, MatchingRound.Status.CLOSED)
    client.force_login(mentee.user)
    page = client.get(reverse("directory:choices", args=[scheme.slug])).content.decode()
    assert CLOSED in page
    assert "Move up" not in page and "Move down" not in page and "Save note" not in page
    detail = client.get(reverse("directory:mentor", args=[scheme.slug, mentors[2].pk]))
    assert CLOSED in detail.content.decode()
    assert "Add to my choices" not in detail.content.decode()
    response = client.post(
        reverse("directory:choose", args=[scheme.slug, mentors[2].pk]), {"note": ""}
    )
    assert response.status_code == 400
    assert CLOSED in response.content.decode()
    response = client.post(
        reverse("directory:remove_choice", args=[scheme.slug, mentors[0].pk]), follow=True
    )
    assert CLOSED in response.content.decode()
    assert Choice.objects.filter(mentee=mentee).count() == 2
