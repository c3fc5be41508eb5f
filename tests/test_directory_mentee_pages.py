"""A mentee's journey through the pages: choose from a mentor's page, then order her choices."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.directory.models import Choice
from tests import directory_support as support
from tests import factories

CHOICES = reverse("directory:choices", args=["scheme-a"])


@pytest.fixture
def setup(client, scheme_a, alice):
    mentors = [support.mentor(scheme_a, alice) for _ in range(4)]
    mentee = support.mentee(scheme_a, alice)
    client.force_login(mentee.user)
    return mentee, mentors


def ranked(mentee):
    return list(
        Choice.objects.filter(mentee=mentee).order_by("rank").values_list("mentor_id", flat=True)
    )


def test_it_works(client, setup):
    mentee, mentors = setup
    detail = client.get(reverse("directory:mentor", args=["scheme-a", mentors[0].pk]))
    page = detail.content.decode()
    assert "Add to my choices" in page and "I must not be matched with this person" in page
    assert "<label" in page and "<fieldset" in page  # labelled form controls, grouped radios
    for m in mentors[:3]:
        response = client.post(
            reverse("directory:choose", args=["scheme-a", m.pk]), {"note": f"Note {m.pk}"}
        )
        assert response.status_code == 302 and response["Location"] == CHOICES
    assert ranked(mentee) == [m.pk for m in mentors[:3]]
    page = client.get(CHOICES).content.decode()
    for label in (
        "1st choice",
        "2nd choice",
        "3rd choice",
        "How matching works",
        "Choices are open.",
    ):
        assert label in page
    assert f"Note {mentors[1].pk}" in page
    # a fourth is refused on the mentor's page, with the reason
    detail = client.get(
        reverse("directory:mentor", args=["scheme-a", mentors[3].pk])
    ).content.decode()
    assert "the most this scheme allows" in detail
    response = client.post(
        reverse("directory:choose", args=["scheme-a", mentors[3].pk]), {"note": ""}
    )
    assert response.status_code == 400
    assert "You can choose at most 3 mentors." in response.content.decode()


def test_ordering_removing_and_notes(client, setup):
    mentee, mentors = setup
    for m in mentors[:3]:
        client.post(reverse("directory:choose", args=["scheme-a", m.pk]), {"note": ""})
    response = client.post(
        reverse("directory:move_choice", args=["scheme-a", mentors[2].pk]),
        {"direction": "up"},
        follow=True,
    )
    assert "Moved to your 2nd choice." in response.content.decode()
    assert ranked(mentee) == [mentors[0].pk, mentors[2].pk, mentors[1].pk]
    response = client.post(
        reverse("directory:move_choice", args=["scheme-a", mentors[0].pk]),
        {"direction": "up"},
        follow=True,
    )
    assert "This is already your first choice." in response.content.decode()
    response = client.post(
        reverse("directory:choice_note", args=["scheme-a", mentors[2].pk]),
        {f"c{mentors[2].pk}-note": "Your promotion advice"},
        follow=True,
    )
    assert "Your note is saved." in response.content.decode()
    assert Choice.objects.get(mentee=mentee, mentor=mentors[2]).note == "Your promotion advice"
    response = client.post(
        reverse("directory:choice_note", args=["scheme-a", mentors[2].pk]),
        {f"c{mentors[2].pk}-note": "x" * 501},
        follow=True,
    )
    assert "under 500 characters" in response.content.decode()
    response = client.post(
        reverse("directory:remove_choice", args=["scheme-a", mentors[0].pk]), follow=True
    )
    assert "Choice removed." in response.content.decode()
    assert ranked(mentee) == [mentors[2].pk, mentors[1].pk]


def test_the_cross_institution_rule_is_explained(client, scheme_a, alice, setup):
    mentee, _ = setup
    scheme_a.different_institutions = True
    scheme_a.save()
    colleague = support.mentor(scheme_a, alice, institution=mentee.institution)
    page = client.get(reverse("directory:mentors", args=["scheme-a"])).content.decode()
    assert "At your institution: this scheme pairs people from different institutions." in page
    detail = client.get(
        reverse("directory:mentor", args=["scheme-a", colleague.pk])
    ).content.decode()
    assert "you cannot choose a mentor from your own institution" in detail
    assert "Add to my choices" not in detail


def test_a_mentor_who_leaves_is_flagged_in_the_choices(client, setup):
    from equimentor.enrolment.models import Participant

    mentee, mentors = setup
    client.post(reverse("directory:choose", args=["scheme-a", mentors[0].pk]), {"note": ""})
    Participant.objects.filter(pk=mentors[0].pk).update(status=Participant.Status.WITHDRAWN)
    page = client.get(CHOICES).content.decode()
    assert "no longer listed in the directory" in page


def test_an_approved_mentee_elsewhere_does_not_see_scheme_a(client, scheme_b, charlie, setup):
    other = factories.register_participant(scheme_b, "elsewhere@example.org", approve_by=charlie)
    client.force_login(other.user)
    assert client.get(CHOICES).status_code == 404
