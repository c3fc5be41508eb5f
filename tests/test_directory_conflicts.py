"""Conflicts of interest: a mentor the mentee must never be matched with."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services
from equimentor.directory.models import Choice, Conflict, MentorRanking
from equimentor.directory.services import DirectoryError
from tests import directory_support as support


@pytest.fixture
def pair(scheme_a, alice):
    return support.mentee(scheme_a, alice), [support.mentor(scheme_a, alice) for _ in range(2)]


def test_it_works(pair):
    mentee, (m1, m2) = pair
    services.set_choices(mentee, [m1.pk, m2.pk], actor=mentee.user)
    services.set_mentor_ranking(m1, [mentee.pk], actor=m1.user)
    services.add_conflict(mentee, m1, "supervisor", actor=mentee.user)
    assert Conflict.objects.get(mentee=mentee).mentor == m1
    # the conflicting choice goes, the rest move up, and m1's ranking of her goes too
    assert list(Choice.objects.filter(mentee=mentee).values_list("mentor_id", "rank")) == [
        (m2.pk, 1)
    ]
    assert not MentorRanking.objects.filter(mentor=m1).exists()
    event = AuditEvent.objects.get(action="directory.conflict.added")
    assert event.data == {
        "mentee_id": mentee.pk,
        "mentor_id": m1.pk,
        "reason": "supervisor",
        "removed_choice_rank": 1,
    }
    services.remove_conflict(mentee, m1, actor=mentee.user)
    assert not Conflict.objects.exists()
    assert AuditEvent.objects.filter(action="directory.conflict.removed").count() == 1


def test_it_validates(pair, scheme_b, charlie):
    mentee, (m1, _) = pair
    with pytest.raises(DirectoryError, match="Choose the reason that fits best."):
        services.add_conflict(mentee, m1, "dislike", actor=mentee.user)
    with pytest.raises(DirectoryError, match="cannot name yourself"):
        services.add_conflict(mentee, mentee, "other", actor=mentee.user)
    outsider = support.mentor(scheme_b, charlie)
    with pytest.raises(DirectoryError, match="only name approved mentors of this scheme"):
        services.add_conflict(mentee, outsider, "other", actor=mentee.user)
    services.add_conflict(mentee, m1, "co_author", actor=mentee.user)
    with pytest.raises(DirectoryError, match="already said"):
        services.add_conflict(mentee, m1, "other", actor=mentee.user)
    with pytest.raises(DirectoryError, match="not named this mentor"):
        services.remove_conflict(mentee, outsider, actor=mentee.user)


def test_an_unpublished_mentor_can_still_be_named(pair):
    """Matching may still propose a mentor who hides her listing, so the safeguard holds."""
    mentee, (m1, _) = pair
    services.update_listing(m1, actor=m1.user, is_published=False)
    services.add_conflict(mentee, m1, "line_manager", actor=mentee.user)
    conflict = Conflict.objects.get(mentee=mentee)
    assert (conflict.mentor, conflict.reason) == (m1, "line_manager")


def test_through_the_pages(client, pair):
    mentee, (m1, _) = pair
    client.force_login(mentee.user)
    url = reverse("directory:conflict", args=["scheme-a", m1.pk])
    response = client.post(url, {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(url, {"reason": "supervisor"}, follow=True)
    page = response.content.decode()
    assert f"You will not be matched with {m1.user.full_name}." in page
    assert "My supervisor" in page
    response = client.post(
        reverse("directory:remove_conflict", args=["scheme-a", m1.pk]), follow=True
    )
    assert "Conflict removed." in response.content.decode()
    assert not Conflict.objects.exists()
