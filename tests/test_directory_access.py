"""Who sees a scheme's directory: its approved participants and its coordinators; nobody else.

A participant of another scheme, a pending registrant, an anonymous visitor and another
scheme's coordinator get nothing — no names, on the pages or through the API.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.directory import services
from equimentor.directory.models import Choice
from tests import directory_support as support
from tests import factories


@pytest.fixture
def world(scheme_a, scheme_b, alice, charlie):
    listed = support.mentor(scheme_a, alice, profile={"job_title": "Professor of Secrets"})
    approved_mentee = support.mentee(scheme_a, alice)
    pending = factories.register_participant(scheme_a, "pending@example.org")
    outsider = support.mentee(scheme_b, charlie)
    return {
        "listed": listed,
        "mentee": approved_mentee,
        "pending": pending,
        "outsider": outsider,
    }


def _urls(world):
    pk = world["listed"].pk
    return [
        reverse("directory:mentors", args=["scheme-a"]),
        reverse("directory:mentor", args=["scheme-a", pk]),
        reverse("api:directory_mentors", args=["scheme-a"]),
    ]


def _nothing_leaked(response, world):
    body = response.content.decode()
    assert world["listed"].user.full_name not in body
    assert "Professor of Secrets" not in body


def test_it_works_for_members_and_the_coordinator(client, world, alice):
    for user in (world["mentee"].user, world["listed"].user, alice):
        client.force_login(user)
        for url in _urls(world):
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            assert "Professor of Secrets" in response.content.decode()


def test_it_validates_ownership_outsiders_get_nothing(client, world, charlie):
    for user in (world["outsider"].user, world["pending"].user, charlie):
        client.force_login(user)
        for url in _urls(world):
            response = client.get(url)
            assert response.status_code == 403, (user, url)
            _nothing_leaked(response, world)


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in _urls(world)[:2]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]
    response = client.get(_urls(world)[2])
    assert response.status_code == 403
    _nothing_leaked(response, world)


def test_a_pending_registrant_in_another_scheme_cannot_use_an_approval_elsewhere(
    client, world, scheme_b, charlie
):
    """Being approved in scheme B opens B's directory only."""
    client.force_login(world["outsider"].user)
    assert client.get(reverse("directory:mentors", args=["scheme-b"])).status_code == 200
    assert client.get(reverse("directory:mentors", args=["scheme-a"])).status_code == 403


def test_mentee_pages_are_for_approved_mentees_only(client, world, alice, charlie):
    choices = reverse("directory:choices", args=["scheme-a"])
    choose = reverse("directory:choose", args=["scheme-a", world["listed"].pk])
    for user, expected in (
        (world["listed"].user, 403),  # a mentor only
        (world["pending"].user, 403),
        (world["outsider"].user, 404),
        (alice, 404),  # the coordinator does not choose
        (charlie, 404),
    ):
        client.force_login(user)
        assert client.get(choices).status_code == expected, user
        assert client.post(choose, {"note": ""}).status_code == expected, user
    assert not Choice.objects.exists()
    client.force_login(world["mentee"].user)
    assert client.get(choices).status_code == 200


def test_mentor_pages_are_for_approved_mentors_only(client, world, alice):
    listing = reverse("directory:listing", args=["scheme-a"])
    for user, expected in (
        (world["mentee"].user, 403),
        (alice, 404),
        (world["outsider"].user, 404),
    ):
        client.force_login(user)
        assert client.get(listing).status_code == expected
        assert client.post(listing, {"is_published": "on"}).status_code == expected
    client.force_login(world["listed"].user)
    assert client.get(listing).status_code == 200


def test_an_unlisted_mentor_is_not_found(client, world, scheme_b, charlie):
    mentor = world["listed"]
    services.update_listing(mentor, actor=mentor.user, is_published=False)
    other = support.mentor(scheme_b, charlie)
    client.force_login(world["mentee"].user)
    assert client.get(reverse("directory:mentor", args=["scheme-a", mentor.pk])).status_code == 404
    assert (
        "Professor of Secrets"
        not in client.get(reverse("directory:mentors", args=["scheme-a"])).content.decode()
    )
    # another scheme's mentor through this scheme's URL
    assert client.get(reverse("directory:mentor", args=["scheme-a", other.pk])).status_code == 404
    # the mentor herself may preview it
    client.force_login(mentor.user)
    page = client.get(reverse("directory:mentor", args=["scheme-a", mentor.pk])).content.decode()
    assert "This is a preview" in page


def test_other_schemes_mentee_cannot_choose_through_the_api(client, world):
    client.force_login(world["outsider"].user)
    url = reverse("api:my_choices", args=["scheme-a"])
    assert client.get(url).status_code == 404
    response = client.put(
        url, {"choices": [{"mentor": world["listed"].pk}]}, content_type="application/json"
    )
    assert response.status_code == 404
    assert not Choice.objects.exists()
