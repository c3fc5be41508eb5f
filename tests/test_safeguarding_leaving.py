"""Leaving without fault: an optional confidential reason for the coordinator, and never-again."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from equimentor.matching.adapter import forbidden_pairs
from equimentor.relationships.models import Relationship
from equimentor.safeguarding.models import LeavingReason
from tests.relationships_setup import accepted, pair

REASON = "He makes comments about my appearance"


def test_leave_without_fault(client, scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    mail.outbox.clear()
    client.force_login(mentees[0].user)
    url = reverse("safeguarding:leave", args=[scheme_a.slug, rel.pk])
    assert "confidential" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": REASON, "never_again": "on"})
    assert response.status_code == 302
    rel.refresh_from_db()
    assert rel.state == Relationship.State.CLOSED and rel.close_reason == "no_fault"
    assert LeavingReason.objects.get().reason == REASON
    assert (mentees[0].pk, mentors[0].pk) in forbidden_pairs(scheme_a)
    # The other person is told neutrally: never the reason.
    to_mentor = [m for m in mail.outbox if mentors[0].user.email in m.to]
    assert to_mentor and all(REASON not in m.body for m in to_mentor)
    client.force_login(mentors[0].user)
    page = client.get(reverse("relationships:detail", args=[scheme_a.slug, rel.pk]))
    assert REASON not in page.content.decode()
    # The coordinator reads it.
    client.force_login(alice)
    page = client.get(reverse("safeguarding:leaving_reasons", args=[scheme_a.slug]))
    assert REASON in page.content.decode()


def test_concern_page_links_to_raise_flow(client, bob, scheme_a):
    client.force_login(bob)
    page = client.get(reverse("relationships:concern", args=[scheme_a.slug])).content.decode()
    assert reverse("safeguarding:raise") in page
    assert reverse("safeguarding:raise") in client.get(reverse("portal:home")).content.decode()
