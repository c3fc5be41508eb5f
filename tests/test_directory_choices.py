"""A mentee's ranked choices: every rule, with the message the person sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services
from equimentor.directory.models import Choice
from equimentor.directory.services import DirectoryError
from equimentor.enrolment.models import Participant
from tests import directory_support as support
from tests import factories


def make_rows():
    """Scheme A, alice, and the people: 4 mentors at one institution and a mentee at another,
    registered once for this module's tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    here = factories.InstitutionFactory(name="Here University")
    elsewhere = factories.InstitutionFactory(name="Elsewhere University")
    mentors = [support.mentor(scheme_a, alice, institution=elsewhere) for _ in range(4)]
    mentee = support.mentee(scheme_a, alice, institution=here)
    return scheme_a, alice, (mentee, mentors, here)


scheme_a, alice, people = factories.rows_as("scheme_a", "alice", "people")


def ranks(mentee):
    return list(
        Choice.objects.filter(mentee=mentee).order_by("rank").values_list("mentor_id", "rank")
    )


def test_it_works(people, alice):
    mentee, mentors, _ = people
    user = mentee.user
    first = services.add_choice(mentee, mentors[0], note="Your grant advice", actor=user)
    services.add_choice(mentee, mentors[1].pk, actor=user)
    assert first.rank == 1
    assert ranks(mentee) == [(mentors[0].pk, 1), (mentors[1].pk, 2)]
    event = AuditEvent.objects.filter(action="directory.choice.added").latest("id")
    assert event.actor == user
    assert event.data == {"mentee_id": mentee.pk, "mentor_id": mentors[1].pk, "rank": 2}
    assert "grant" not in str(
        AuditEvent.objects.filter(action__startswith="directory").values_list("data", flat=True)
    )


def test_it_refuses_more_than_max_choices(people):
    mentee, mentors, _ = people
    for m in mentors[:3]:
        services.add_choice(mentee, m, actor=mentee.user)
    with pytest.raises(
        DirectoryError, match="You can choose at most 3 mentors. Remove one to add another."
    ):
        services.add_choice(mentee, mentors[3], actor=mentee.user)
    with pytest.raises(DirectoryError, match="at most 3 mentors"):
        services.set_choices(mentee, [m.pk for m in mentors], actor=mentee.user)
    assert len(ranks(mentee)) == 3


def test_it_refuses_the_same_mentor_twice(people):
    mentee, mentors, _ = people
    services.add_choice(mentee, mentors[0], actor=mentee.user)
    with pytest.raises(DirectoryError, match="already among your choices"):
        services.add_choice(mentee, mentors[0], actor=mentee.user)
    with pytest.raises(DirectoryError, match="Each mentor can be chosen only once."):
        services.set_choices(mentee, [mentors[1].pk, mentors[1].pk], actor=mentee.user)


def test_it_refuses_yourself_in_a_peer_scheme(scheme_a, alice, people):
    both = support.mentor(scheme_a, alice, role="both")
    assert both.is_mentor and both.is_mentee
    with pytest.raises(DirectoryError, match="You cannot choose yourself as your mentor."):
        services.add_choice(both, both, actor=both.user)
    services.add_choice(both, people[1][0], actor=both.user)  # but others, yes


@pytest.mark.parametrize(
    "case", ["unapproved", "unpublished", "other_scheme", "mentee_only", "withdrawn"]
)
def test_it_refuses_mentors_who_are_not_listed(case, people, scheme_a, scheme_b, alice, charlie):
    mentee, mentors, _ = people
    if case == "unapproved":
        target = factories.register_participant(scheme_a, "pending@example.org", role="mentor")
    elif case == "unpublished":
        target = mentors[0]
        services.update_listing(target, actor=target.user, is_published=False)
    elif case == "other_scheme":
        target = support.mentor(scheme_b, charlie)
    elif case == "mentee_only":
        target = support.mentee(scheme_a, alice)
    else:
        target = mentors[0]
        Participant.objects.filter(pk=target.pk).update(status=Participant.Status.WITHDRAWN)
    with pytest.raises(
        DirectoryError, match="only choose approved mentors listed in this scheme's directory"
    ):
        services.add_choice(mentee, target, actor=mentee.user)
    with pytest.raises(DirectoryError, match="only choose approved mentors"):
        services.set_choices(mentee, [target.pk], actor=mentee.user)
    assert ranks(mentee) == []


def test_it_keeps_the_cross_institution_rule(people, scheme_a, alice):
    mentee, mentors, here = people
    colleague = support.mentor(scheme_a, alice, institution=here)
    services.add_choice(mentee, colleague, actor=mentee.user)  # the rule is off: allowed
    services.remove_choice(mentee, colleague, actor=mentee.user)
    scheme_a.different_institutions = True
    scheme_a.save()
    mentee.refresh_from_db()
    message = (
        "This scheme pairs mentors and mentees from different institutions, so you cannot "
        "choose a mentor from your own institution."
    )
    with pytest.raises(DirectoryError, match=message):
        services.add_choice(mentee, colleague, actor=mentee.user)
    with pytest.raises(DirectoryError, match="different institutions"):
        services.set_choices(mentee, [mentors[0].pk, colleague.pk], actor=mentee.user)
    services.add_choice(mentee, mentors[0], actor=mentee.user)


def test_it_refuses_a_mentor_named_as_a_conflict(people):
    mentee, mentors, _ = people
    services.add_conflict(mentee, mentors[0], "supervisor", actor=mentee.user)
    with pytest.raises(
        DirectoryError, match="You told us you must not be matched with this mentor"
    ):
        services.add_choice(mentee, mentors[0], actor=mentee.user)
    with pytest.raises(DirectoryError, match="must not be matched"):
        services.set_choices(mentee, [mentors[1].pk, mentors[0].pk], actor=mentee.user)


def test_it_validates_ownership_only_approved_mentees_choose(scheme_a, alice, people):
    _, mentors, _ = people
    pending = factories.register_participant(scheme_a, "pending-mentee@example.org")
    only_mentor = support.mentor(scheme_a, alice)
    for who in (pending, only_mentor):
        with pytest.raises(
            DirectoryError, match="Only approved mentees of this scheme can choose mentors."
        ):
            services.add_choice(who, mentors[0], actor=who.user)


def test_set_choices_replaces_the_list_in_order(people):
    mentee, mentors, _ = people
    services.set_choices(mentee, [mentors[0].pk], actor=mentee.user)
    rows = services.set_choices(
        mentee, [(mentors[2].pk, "first"), mentors[1].pk, (mentors[0].pk, "")], actor=mentee.user
    )
    assert [(c.mentor_id, c.rank) for c in rows] == ranks(mentee)
    assert ranks(mentee) == [(mentors[2].pk, 1), (mentors[1].pk, 2), (mentors[0].pk, 3)]
    assert Choice.objects.get(mentee=mentee, rank=1).note == "first"
    event = AuditEvent.objects.filter(action="directory.choices.set").latest("id")
    assert event.data["mentor_ids"] == [mentors[2].pk, mentors[1].pk, mentors[0].pk]
    services.set_choices(mentee, [], actor=mentee.user)
    assert ranks(mentee) == []


def test_moving_and_removing(people):
    mentee, mentors, _ = people
    services.set_choices(mentee, [m.pk for m in mentors[:3]], actor=mentee.user)
    assert services.move_choice(mentee, mentors[2], "up", actor=mentee.user) == 2
    assert ranks(mentee) == [(mentors[0].pk, 1), (mentors[2].pk, 2), (mentors[1].pk, 3)]
    with pytest.raises(DirectoryError, match="This is already your first choice."):
        services.move_choice(mentee, mentors[0], "up", actor=mentee.user)
    with pytest.raises(DirectoryError, match="This is already your last choice."):
        services.move_choice(mentee, mentors[1], "down", actor=mentee.user)
    services.move_choice(mentee, mentors[0], "down", actor=mentee.user)
    assert ranks(mentee) == [(mentors[2].pk, 1), (mentors[0].pk, 2), (mentors[1].pk, 3)]
    event = AuditEvent.objects.filter(action="directory.choice.moved").latest("id")
    assert event.data == {"mentee_id": mentee.pk, "mentor_id": mentors[0].pk, "old": 1, "new": 2}

    services.remove_choice(mentee, mentors[2], actor=mentee.user)
    assert ranks(mentee) == [(mentors[0].pk, 1), (mentors[1].pk, 2)]
    with pytest.raises(DirectoryError, match="This mentor is not among your choices."):
        services.remove_choice(mentee, mentors[2], actor=mentee.user)


def test_editing_the_note(people):
    mentee, mentors, _ = people
    services.add_choice(mentee, mentors[0], actor=mentee.user)
    services.set_choice_note(mentee, mentors[0], "  Your fellowship advice  ", actor=mentee.user)
    assert Choice.objects.get(mentee=mentee).note == "Your fellowship advice"
    event = AuditEvent.objects.filter(action="directory.choice.note_changed").latest("id")
    assert event.data == {"mentee_id": mentee.pk, "mentor_id": mentors[0].pk, "has_note": True}
    with pytest.raises(DirectoryError, match="under 500 characters"):
        services.set_choice_note(mentee, mentors[0], "x" * 501, actor=mentee.user)


def test_a_full_mentor_can_still_be_chosen(people):
    mentee, mentors, _ = people
    support.fill(mentors[0], 2)
    services.add_choice(mentee, mentors[0], actor=mentee.user)
    assert ranks(mentee) == [(mentors[0].pk, 1)]


def test_a_mentee_with_a_proposal_waiting_is_told_she_is_not_in_a_new_round(client, db):
    """She was told "choices are open" and then left out of the next round without a word (#21).
    In a scheme of its own: a round in scheme A would hold the module's shared people too."""
    from equimentor.matching import services as matching
    from equimentor.matching.models import Proposal
    from tests.matching_setup import choose, people

    scheme = factories.make_scheme(name="Scheme R", slug="scheme-r")
    coordinator = factories.make_staff(scheme, "coordinator", email="rita@example.org")
    mentors, mentees = people(scheme, coordinator, mentors=1, mentees=1, capacity=1)
    choose(mentees[0], mentors[0])
    rnd = matching.open_round(scheme, actor=coordinator)
    matching.close_choices(rnd, actor=coordinator)
    matching.publish(rnd, actor=coordinator)
    matching.open_round(scheme, actor=coordinator)  # a new round collects choices
    client.force_login(mentees[0].user)
    url = reverse("directory:choices", args=["scheme-r"])
    html = client.get(url).content.decode()
    assert "A proposed match is waiting for your reply" in html
    assert "Until you reply, you are not part of a new matching round." in html
    assert "Choices are open." not in html
    # once she replies, the page says choices are open again
    proposal = Proposal.objects.get(mentee=mentees[0])
    matching.reply(proposal, mentees[0], accept=False, actor=mentees[0].user)
    html = client.get(url).content.decode()
    assert "A proposed match is waiting" not in html and "Choices are open." in html
