"""A mentor's listing: created on approval, published by default, under the mentor's control."""

from __future__ import annotations

from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services
from equimentor.directory.models import MentorListing
from equimentor.enrolment import services as enrolment
from tests import directory_support as support
from tests import factories


def test_it_works_approval_creates_a_published_listing(scheme_a, alice):
    pending = factories.register_participant(scheme_a, "m@example.org", role="mentor")
    assert not MentorListing.objects.filter(participant=pending).exists()
    approved = enrolment.approve(pending, actor=alice)
    listing = MentorListing.objects.get(participant=approved)
    assert listing.is_published and listing.show_institution and listing.show_offers
    event = AuditEvent.objects.get(action="directory.listing.created")
    assert event.actor == alice and event.data == {"participant_id": approved.pk, "published": True}


def test_mentees_get_no_listing(scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)
    assert services.ensure_listing(mentee) is None
    assert not MentorListing.objects.exists()


def test_becoming_a_mentor_creates_the_listing(client, scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)
    client.force_login(mentee.user)
    response = client.post(
        reverse("enrolment:edit_profile", args=["scheme-a"]),
        {
            "role": "both",
            "job_title": "Lecturer",
            "career_stage": "2",
            "pathway": "clinical",
            "institution": mentee.institution_id,
            "department": "Public Health",
            "research_interests": "genomics",
            "career_summary": "Ten years in public health.",
            "offers": "Grant writing",
            "seeks": "Fellowship advice",
            "mentor_capacity": "2",
            "meeting_mode": "virtual",
            "meeting_notes": "",
        },
    )
    assert response.status_code == 302
    assert MentorListing.objects.get(participant=mentee).is_published


def test_the_mentor_unpublishes_and_hides_fields(client, scheme_a, alice):
    mentor = support.mentor(scheme_a, alice)
    client.force_login(mentor.user)
    url = reverse("directory:listing", args=["scheme-a"])
    assert "Your profile is published" in client.get(url).content.decode()
    response = client.post(url, {"show_offers": "on", "show_career_summary": "on"}, follow=True)
    assert "It is not shown in the directory." in response.content.decode()
    listing = MentorListing.objects.get(participant=mentor)
    assert not listing.is_published and not listing.show_institution and listing.show_offers
    event = AuditEvent.objects.get(action="directory.listing.updated")
    assert event.data == {
        "participant_id": mentor.pk,
        "fields": ["is_published", "show_department", "show_institution"],
        "published": False,
    }
    viewer = support.mentee(scheme_a, alice)
    client.force_login(viewer.user)
    assert (
        "0 mentors" in client.get(reverse("directory:mentors", args=["scheme-a"])).content.decode()
    )
