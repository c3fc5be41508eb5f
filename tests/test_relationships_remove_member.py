"""The coordinator takes one member out of a group; the others carry on and are told neutrally;
a one-to-one, or the last mentor, is refused; only the scheme's coordinators may do it."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.relationships import services
from equimentor.relationships.models import Meeting, Membership, Relationship
from equimentor.relationships.services import RelationshipError
from tests.api_setup import bearer, token
from tests.matching_setup import people
from tests.relationships_setup import accepted, group_meeting_next_week, member

S = Relationship.State


@pytest.fixture
def group(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rel, mentors, mentees, meeting = group_meeting_next_week(scheme_a, alice)
    mail.outbox.clear()
    leaving = mentees[0].user
    leaving.full_name = "Zainab Removed"
    leaving.save(update_fields=["full_name"])
    return rel, mentors, mentees, meeting


def _act(client, scheme, rel, **data):
    return client.post(reverse("relationships:manage_act", args=[scheme.slug, rel.pk]), data)


def test_the_coordinator_removes_a_mentee_and_the_group_carries_on(
    client, scheme_a, alice, group, django_capture_on_commit_callbacks
):
    rel, mentors, mentees, meeting = group
    gone = member(rel, mentees[0])
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(client, scheme_a, rel, action="remove", member=mentees[0].pk)
    assert response.status_code == 302
    gone.refresh_from_db()
    rel.refresh_from_db()
    meeting.refresh_from_db()
    assert gone.left_reason == Membership.LeftReason.REMOVED and gone.left_at is not None
    assert rel.state != S.CLOSED and meeting.status == Meeting.Status.SCHEDULED
    event = AuditEvent.objects.get(action="relationships.member.removed")
    assert event.actor == alice and event.data == {"relationship_id": rel.pk}
    to_removed = [m for m in mail.outbox if m.to == [mentees[0].user.email]]
    assert len(to_removed) == 1
    assert "ended your membership of “Thursday group”" in to_removed[0].body
    methods = [str(content).count("METHOD:CANCEL") for _n, content, _t in to_removed[0].attachments]
    assert methods == [1]
    others = {mentors[0].user.email, mentees[1].user.email, mentees[2].user.email}
    told = [m for m in mail.outbox if m.to[0] in others]
    assert sorted(m.to[0] for m in told) == sorted(others)
    for message in told:
        assert "carries on with" in message.body
        assert "zainab" not in message.body.lower() and "coordinator has" not in message.body
    page = client.get(reverse("relationships:manage_detail", args=[scheme_a.slug, rel.pk]))
    assert "Zainab Removed" in page.content.decode() and "(left " in page.content.decode()
    assert "Remove Zainab Removed" not in page.content.decode()  # no button for someone gone


def test_removing_the_last_mentor_or_from_a_one_to_one_is_refused(
    client, scheme_a, alice, group, django_capture_on_commit_callbacks
):
    rel, mentors, _mentees, _meeting = group
    with pytest.raises(RelationshipError, match="close the relationship instead"):
        services.remove_member(rel, mentors[0].pk, actor=alice)
    assert Membership.objects.filter(relationship=rel, left_at__isnull=False).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        more_mentors, more_mentees = people(scheme_a, alice, mentors=1, mentees=1, tag="pair")
        pair_rel = accepted(scheme_a, alice, more_mentors[0], more_mentees[0])
    with pytest.raises(RelationshipError, match="one-to-one"):
        services.remove_member(pair_rel, more_mentees[0].pk, actor=alice)
    # through the page: the message, nothing changed
    client.force_login(alice)
    response = _act(client, scheme_a, rel, action="remove", member=mentors[0].pk)
    assert response.status_code == 302
    assert "close the relationship instead" in client.get(response.url).content.decode()
    assert _act(client, scheme_a, rel, action="remove", member="x").status_code == 302
    assert Membership.objects.filter(relationship=rel, left_at__isnull=False).count() == 0


def test_only_the_schemes_coordinators_may_remove_a_member(
    client, scheme_a, scheme_b, group, charlie
):
    rel, mentors, mentees, _meeting = group
    target = mentees[0].pk
    client.force_login(mentors[0].user)  # a member of the group, not a coordinator
    assert _act(client, scheme_a, rel, action="remove", member=target).status_code == 403
    client.force_login(charlie)  # another scheme's coordinator
    assert _act(client, scheme_a, rel, action="remove", member=target).status_code == 403
    assert _act(client, scheme_b, rel, action="remove", member=target).status_code == 404
    assert member(rel, mentees[0]).left_at is None


def test_a_coordinators_token_removes_a_member_through_the_api(
    client, scheme_a, alice, group, django_capture_on_commit_callbacks
):
    rel, mentors, mentees, _meeting = group
    url = reverse("api:scheme_relationship_remove_member", args=[scheme_a.slug, rel.pk])
    raw = token(alice, "relationships:read", "relationships:write")
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"participant": mentees[0].pk}, "application/json", **bearer(raw))
    assert done.status_code == 200
    left = {m["participant"]: m["left"] for m in done.json()["members"]}
    assert left[mentees[0].pk] is True and left[mentees[1].pk] is False
    # who may still be removed: the remaining mentees, not the one gone nor the only mentor
    removable = {m["participant"]: m["removable"] for m in done.json()["members"]}
    assert removable == {
        mentors[0].pk: False,
        mentees[0].pk: False,
        mentees[1].pk: True,
        mentees[2].pk: True,
    }
    refused = client.post(url, {"participant": mentors[0].pk}, "application/json", **bearer(raw))
    assert (
        refused.status_code == 409 and "close the relationship instead" in refused.json()["detail"]
    )
    again = client.post(url, {"participant": mentees[0].pk}, "application/json", **bearer(raw))
    assert again.status_code == 409 and "no longer a member" in again.json()["detail"]
    bad = client.post(url, {"participant": "x"}, "application/json", **bearer(raw))
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["participant"]
    reader = token(alice, "relationships:read")
    denied = client.post(url, {"participant": mentees[1].pk}, "application/json", **bearer(reader))
    assert denied.status_code == 403
    assert member(rel, mentees[1]).left_at is None


def test_the_page_offers_removal_only_where_it_would_be_accepted(
    client, scheme_a, alice, group, django_capture_on_commit_callbacks
):
    rel, mentors, mentees, _meeting = group
    for person, name in zip(
        [mentors[0], *mentees[1:]], ["Maria Mentor", "Beth Mentee", "Chen Mentee"], strict=True
    ):
        person.user.full_name = name
        person.user.save(update_fields=["full_name"])
    url = reverse("relationships:manage_detail", args=[scheme_a.slug, rel.pk])
    client.force_login(alice)
    page = client.get(url).content.decode()
    mentor_name = mentors[0].user.full_name
    for mentee in mentees:
        assert f"Remove {mentee.user.full_name} from this" in page
    assert f"Remove {mentor_name} from this" not in page  # the only mentor: refused, so not offered
    assert "(cannot be removed: the only mentor left)" in page
    with django_capture_on_commit_callbacks(execute=True):
        services.remove_member(rel, mentees[0].pk, actor=alice)
        services.remove_member(rel, mentees[1].pk, actor=alice)
    page = client.get(url).content.decode()
    assert f"Remove {mentees[2].user.full_name} from this" not in page
    assert page.count("cannot be removed: the only") == 2  # the last mentor and the last mentee
    assert "(cannot be removed: the only mentee left)" in page


def test_the_coordinators_list_costs_the_same_queries_with_more_groups(
    client, scheme_a, alice, group, django_capture_on_commit_callbacks
):
    """Each member's ``removable`` is worked out from the rows already read."""
    url = reverse("api:scheme_relationships", args=[scheme_a.slug])
    raw = token(alice, "relationships:read")

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, **bearer(raw)).status_code == 200
        return len(queries.captured_queries)

    cost()  # the token's first use records when it was last used
    one = cost()
    with django_capture_on_commit_callbacks(execute=True):
        more_mentors, more_mentees = people(
            scheme_a, alice, mentors=1, mentees=4, capacity=4, tag="two"
        )
        services.create_relationship(
            scheme_a,
            Relationship.Kind.GROUP,
            [services.NewMember(m, "mentor") for m in more_mentors]
            + [services.NewMember(m, "mentee") for m in more_mentees],
            actor=alice,
            name="Friday group",
        )
    assert len(client.get(url, **bearer(raw)).json()["results"]) == 2
    assert cost() == one


def test_the_coordinators_list_names_a_group_and_its_members(client, scheme_a, alice, group):
    rel, mentors, mentees, _meeting = group
    client.force_login(alice)
    page = client.get(reverse("relationships:manage_list", args=[scheme_a.slug]), {"kind": "group"})
    html = page.content.decode()
    detail = reverse("relationships:manage_detail", args=[scheme_a.slug, rel.pk])
    assert f'<a href="{detail}">Thursday group</a>' in html
    row = html[html.index(f'<a href="{detail}">') :]
    for person in (*mentors, *mentees):
        assert person.user.full_name in row[: row.index("</td>")]
