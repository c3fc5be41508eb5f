"""Publishing is confirmed (#21): it was one click that emailed everyone. The coordinator first
reads what publishing does, to how many people, and both emails of a pair as they will be sent."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from equimentor.core.models import OutgoingEmail
from equimentor.matching import services
from equimentor.matching.models import MatchingRound, Proposal
from tests.matching_setup import choose, people


def test_the_coordinator_reads_the_emails_before_anything_is_sent(client, scheme_a, alice):
    mentors, mentees = people(scheme_a, alice, mentors=2, mentees=3, capacity=1)
    choose(mentees[0], mentors[0])
    choose(mentees[1], mentors[1])
    rnd = services.open_round(scheme_a, actor=alice)
    services.close_choices(rnd, actor=alice)
    client.force_login(alice)
    page = client.get(reverse("matching:round", args=["scheme-a", rnd.pk])).content.decode()
    confirm = reverse("matching:publish", args=["scheme-a", rnd.pk])
    assert f'href="{confirm}"' in page and "Review and publish 2 proposals" in page
    before = OutgoingEmail.objects.count()
    mail.outbox.clear()

    html = client.get(confirm).content.decode()
    assert "2 pairs from dry run" in html and "become proposals" in html
    assert "2 mentees and 2 mentors are each emailed" in html
    assert "1 mentee of this round is not matched" in html
    assert html.count('class="email-preview"') == 2
    assert "To the mentee: " in html and "To the mentor: " in html
    assert "Why this match:" in html  # the mentee's email text, as it will be sent
    assert "Publish and email 4 people" in html
    # reading sent nothing and changed nothing
    assert OutgoingEmail.objects.count() == before and mail.outbox == []
    rnd.refresh_from_db()
    assert rnd.status == MatchingRound.Status.CLOSED and not Proposal.objects.exists()

    client.post(confirm)
    rnd.refresh_from_db()
    assert rnd.status == MatchingRound.Status.PUBLISHED
    assert Proposal.objects.filter(round=rnd).count() == 2
    page = client.get(reverse("matching:round", args=["scheme-a", rnd.pk])).content.decode()
    assert "Published: run" in page and ">Dry run " not in page


def test_only_a_closed_round_has_a_confirmation(client, scheme_a, alice, charlie):
    rnd = services.open_round(scheme_a, actor=alice)
    client.force_login(alice)
    response = client.get(reverse("matching:publish", args=["scheme-a", rnd.pk]), follow=True)
    assert "Only a round with closed choices" in response.content.decode()
    client.force_login(charlie)
    assert client.get(reverse("matching:publish", args=["scheme-a", rnd.pk])).status_code == 403
