"""The directory over the API: members list mentors; a mentee reads and replaces her choices."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.directory import services
from equimentor.directory.models import Choice
from equimentor.matching.models import MatchingRound
from tests import directory_support as support
from tests import factories
from tests.api_setup import if_match

MENTORS = reverse("api:directory_mentors", args=["scheme-a"])
CHOICES = reverse("api:my_choices", args=["scheme-a"])


@pytest.fixture
def mentors(scheme_a, alice):
    inst = factories.InstitutionFactory(name="Gamma University")
    return [support.mentor(scheme_a, alice, institution=inst) for _ in range(3)]


def test_it_works_listing_mentors(client, scheme_a, alice, mentors):
    hidden = mentors[0]
    services.update_listing(hidden, actor=hidden.user, show_institution=False)
    services.update_listing(mentors[2], actor=mentors[2].user, is_published=False)
    client.force_login(support.mentee(scheme_a, alice).user)
    data = client.get(MENTORS).json()
    assert (data["next"], data["previous"]) == (None, None) and len(data["results"]) == 2
    rows = {r["id"]: r for r in data["results"]}
    assert set(rows) == {mentors[0].pk, mentors[1].pk}
    assert rows[hidden.pk]["institution"] is None
    assert rows[mentors[1].pk]["institution"] == "Gamma University"
    assert rows[mentors[1].pk]["free_places"] == 2
    assert client.get(MENTORS, {"interests": "nothing-matches"}).json()["results"] == []
    assert client.get(MENTORS, {"cursor": "nonsense"}).status_code == 400


def test_it_validates_ownership(client, scheme_b, charlie, mentors):
    client.force_login(support.mentee(scheme_b, charlie).user)
    assert client.get(MENTORS).status_code == 403
    client.force_login(charlie)
    assert client.get(MENTORS).status_code == 403


def test_reading_and_replacing_choices(client, scheme_a, alice, mentors):
    mentee = support.mentee(scheme_a, alice)
    client.force_login(mentee.user)
    assert client.get(CHOICES).json() == {
        "max_choices": 3,
        "open": True,
        "closed_reason": "",
        "choices": [],
    }
    body = {"choices": [{"mentor": mentors[1].pk, "note": "Hello"}, {"mentor": mentors[0].pk}]}
    response = client.put(
        CHOICES, body, content_type="application/json", **if_match(client, CHOICES)
    )
    assert response.status_code == 200
    assert [(c["rank"], c["mentor"], c["note"]) for c in response.json()["choices"]] == [
        (1, mentors[1].pk, "Hello"),
        (2, mentors[0].pk, ""),
    ]
    assert client.get(CHOICES).json()["choices"][0]["mentor"] == mentors[1].pk


def test_the_service_rules_apply(client, scheme_a, alice, mentors):
    mentee = support.mentee(scheme_a, alice)
    services.add_choice(mentee, mentors[2], actor=mentee.user)
    client.force_login(mentee.user)
    four = {"choices": [{"mentor": m.pk} for m in [*mentors, support.mentor(scheme_a, alice)]]}
    response = client.put(
        CHOICES, four, content_type="application/json", **if_match(client, CHOICES)
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:equimentor:problem:refused",
        "title": "The change was refused",
        "status": 400,
        "detail": "You can choose at most 3 mentors. Remove one to add another.",
    }
    response = client.put(
        CHOICES,
        {"choices": [{"mentor": mentee.pk}]},
        content_type="application/json",
        **if_match(client, CHOICES),
    )
    assert response.json()["detail"] == "You cannot choose yourself as your mentor."
    response = client.put(
        CHOICES, {"choices": "nope"}, content_type="application/json", **if_match(client, CHOICES)
    )
    assert response.status_code == 400
    assert list(Choice.objects.filter(mentee=mentee).values_list("mentor_id", flat=True)) == [
        mentors[2].pk
    ]

    MatchingRound.objects.create(scheme=scheme_a, name="R", status=MatchingRound.Status.CLOSED)
    data = client.get(CHOICES).json()
    assert data["open"] is False
    response = client.put(
        CHOICES, {"choices": []}, content_type="application/json", **if_match(client, CHOICES)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Choices are closed while the coordinator runs matching."


def test_only_approved_mentees_have_choices(client, scheme_a, alice, mentors):
    client.force_login(mentors[0].user)
    assert client.get(CHOICES).status_code == 403
    client.force_login(alice)
    assert client.get(CHOICES).status_code == 404
    client.logout()
    assert client.get(CHOICES).status_code == 403


def test_the_schema_lists_the_endpoints(client, db):
    content = client.get(reverse("api:schema")).content
    assert b"/api/v1/schemes/{slug}/mentors/" in content
    assert b"/api/v1/me/schemes/{slug}/choices/" in content


@pytest.mark.parametrize("mentor", [2**63, 3250330776468468110737465671680, 0, -1])
def test_an_id_no_row_can_have_is_refused_not_a_server_error(client, scheme_a, alice, mentor):
    """Found by the schema fuzz (#20): a mentor id past the database's range failed the query
    (500); now it is a 400 naming the field, and nothing changes."""
    mentee = support.mentee(scheme_a, alice)
    client.force_login(mentee.user)
    response = client.put(
        CHOICES,
        {"choices": [{"mentor": mentor}]},
        content_type="application/json",
        **if_match(client, CHOICES),
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["choices.0.mentor"]
    assert not Choice.objects.filter(mentee=mentee).exists()


def test_a_mentors_meeting_mode_has_its_own_values_in_the_schema(client, db):
    """Found by the schema fuzz (#20): the mentor's preferred mode (virtual, in person, either)
    was named MeetingModeEnum, a meeting's modes (virtual, in person, phone), so a directory
    answer with "either" broke the schema."""
    from drf_spectacular.generators import SchemaGenerator

    from equimentor.enrolment.models import Participant

    components = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    mode = components["Mentor"]["properties"]["meeting_mode"]["allOf"][0]["$ref"].rsplit("/")[-1]
    assert components[mode]["enum"] == Participant.MeetingMode.values
