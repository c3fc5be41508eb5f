"""Identity answers appear in the directory only where the mentor opted in — shown on her
profile, and still consenting to identity matching — and never in the API."""

from __future__ import annotations

from django.urls import reverse

from equimentor.enrolment.consents import withdraw_consent
from equimentor.enrolment.models import Consent
from equimentor.identity.models import IdentityAnswer
from equimentor.identity.services import Answer
from tests import directory_support as support

URL = reverse("directory:mentors", args=["scheme-a"])


def _pages(client, mentor):
    yield client.get(URL).content.decode()
    yield client.get(reverse("directory:mentor", args=["scheme-a", mentor.pk])).content.decode()


def test_it_works_when_the_mentor_opted_in(client, scheme_a, alice):
    mentor = support.mentor(scheme_a, alice, **support.shown_identity("black", "Nigerian British"))
    client.force_login(support.mentee(scheme_a, alice).user)
    for page in _pages(client, mentor):
        assert "Ethnicity" in page
        assert "Black, Black British, Caribbean or African — “Nigerian British”" in page


def test_answers_not_marked_for_the_profile_are_never_shown(client, scheme_a, alice):
    mentor = support.mentor(scheme_a, alice)  # answered, not shown on profile
    assert IdentityAnswer.objects.filter(participant=mentor, show_on_profile=False).exists()
    viewer = support.mentee(scheme_a, alice)  # her own answer must not appear either
    client.force_login(viewer.user)
    for page in _pages(client, mentor):
        assert "Bangladeshi" not in page and "Ethnicity" not in page


def test_answers_disappear_when_identity_matching_consent_is_withdrawn(client, scheme_a, alice):
    mentor = support.mentor(scheme_a, alice, **support.shown_identity())
    # she keeps consenting to anonymous reports, so the answer is still stored
    withdraw_consent(mentor, Consent.Purpose.IDENTITY_MATCHING, actor=mentor.user)
    assert IdentityAnswer.objects.filter(participant=mentor, show_on_profile=True).exists()
    client.force_login(support.mentee(scheme_a, alice).user)
    for page in _pages(client, mentor):
        assert "Nigerian British" not in page


def test_prefer_not_to_say_alone_is_not_shown(client, scheme_a, alice):
    mentor = support.mentor(
        scheme_a, alice, identity_answers={"ethnicity": Answer("prefer_not_to_say", "", True)}
    )
    client.force_login(support.mentee(scheme_a, alice).user)
    for page in _pages(client, mentor):
        assert "Prefer not to say" not in page


def test_the_api_never_shows_identity_answers(client, scheme_a, alice):
    support.mentor(scheme_a, alice, **support.shown_identity())
    client.force_login(support.mentee(scheme_a, alice).user)
    body = client.get(reverse("api:directory_mentors", args=["scheme-a"])).content.decode()
    assert "Nigerian" not in body and "black" not in body.lower() and "ethnicity" not in body
