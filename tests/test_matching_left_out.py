"""The coordinator sees who a new round leaves out and why (#21): a mentee with a proposal
waiting for her reply, one already in a relationship, one whose required induction is not done."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.matching import services as matching
from equimentor.matching.adapter import LEFT_OUT, eligible_mentees, left_out_mentees
from equimentor.training import induction
from equimentor.training.induction import ItemData
from tests import factories
from tests.matching_setup import choose, people

GUIDE = ItemData("document", "Mentoring guide", body="Read this first.")


def _setup(scheme, coordinator):
    mentors, mentees = people(scheme, coordinator, mentors=3, mentees=2, capacity=1)
    choose(mentees[0], mentors[0])
    choose(mentees[1], mentors[1])
    first = matching.open_round(scheme, actor=coordinator)
    matching.close_choices(first, actor=coordinator)
    proposals = {p.mentee_id: p for p in matching.publish(first, actor=coordinator)}
    accepted = proposals[mentees[0].pk]
    matching.reply(accepted, accepted.mentor, accept=True, actor=accepted.mentor.user)
    matching.reply(accepted, accepted.mentee, accept=True, actor=accepted.mentee.user)
    # three more mentees register after the first round
    mentees += [
        factories.register_participant(scheme, f"new{n}@example.org", approve_by=coordinator)
        for n in range(3)
    ]
    for n, mentee in enumerate(mentees):
        mentee.user.full_name = f"Mentee {n}"
        mentee.user.save(update_fields=["full_name"])
    # mentee 1's proposal waits; mentees 2 and 3 did the required induction, mentee 4 did not
    draft = induction.start_draft(scheme, actor=coordinator)
    guide = induction.save_item(draft, GUIDE, actor=coordinator)
    induction.publish(draft, actor=coordinator)
    induction.save_settings(
        scheme, mentors_must_complete=False, mentees_must_complete=True, actor=coordinator
    )
    for mentee in mentees[2:4]:
        induction.complete_item(mentee, guide, actor=None)
    return mentors, mentees, proposals[mentees[1].pk]


def test_each_left_out_mentee_is_listed_once_with_the_reason(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees, waiting = _setup(scheme_a, alice)
        second = matching.open_round(scheme_a, actor=alice)
    left = {x.participant.pk: x for x in left_out_mentees(scheme_a)}
    assert {pk: x.reason for pk, x in left.items()} == {
        mentees[0].pk: "in_relationship",
        mentees[1].pk: "proposal_waiting",
        mentees[4].pk: "induction",
    }
    assert left[mentees[1].pk].since == waiting.proposed_at
    # left out and eligible split the approved mentees between them
    eligible = set(eligible_mentees(scheme_a).values_list("pk", flat=True))
    assert eligible == {mentees[2].pk, mentees[3].pk} and not eligible & set(left)

    client.force_login(alice)
    page = client.get(reverse("matching:round", args=[scheme_a.slug, second.pk]))
    html = page.content.decode()
    assert "Not in this round (3)" in html
    for n, reason in ((0, "in_relationship"), (1, "proposal_waiting"), (4, "induction")):
        row = html.split(f"<td>Mentee {n}</td>", 1)[1].split("</tr>", 1)[0]
        assert LEFT_OUT[reason] in row
    assert "<td>Mentee 2</td>" not in html and "<td>Mentee 3</td>" not in html


def test_the_list_costs_the_same_with_more_people_left_out(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _setup(scheme_a, alice)
        second = matching.open_round(scheme_a, actor=alice)
    client.force_login(alice)
    url = reverse("matching:round", args=[scheme_a.slug, second.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            factories.register_participant(scheme_a, f"late{n}@example.org", approve_by=alice)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert "Not in this round (7)" in page.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_another_schemes_coordinator_sees_nothing(
    client, scheme_a, alice, charlie, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _setup(scheme_a, alice)
        second = matching.open_round(scheme_a, actor=alice)
    client.force_login(charlie)
    page = client.get(reverse("matching:round", args=[scheme_a.slug, second.pk]))
    assert page.status_code == 403 and b"Mentee 1" not in page.content
