"""Group, peer and network relationships count against each mentor's capacity."""

from __future__ import annotations

import pytest

from equimentor.enrolment.models import Participant
from equimentor.matching.adapter import eligible_mentees
from equimentor.pairing.load import load_of, with_load
from equimentor.relationships import services
from equimentor.relationships.models import Relationship
from equimentor.relationships.services import NewMember, RelationshipError
from tests.relationships_setup import accepted, member, pair


@pytest.fixture
def people_a(scheme_a, alice):
    mentors, mentees = pair(scheme_a, alice, mentors=3, mentees=4, capacity=3)
    return mentors, mentees


def _free(p):
    return with_load(Participant.objects.filter(pk=p.pk)).get()


def test_group_takes_one_place_per_mentee(scheme_a, alice, people_a):
    mentors, mentees = people_a
    with pytest.raises(RelationshipError, match="no room"):
        services.create_relationship(
            scheme_a,
            "group",
            [NewMember(mentors[0], "mentor")] + [NewMember(m, "mentee") for m in mentees],
            actor=alice,
        )
    rel = services.create_relationship(
        scheme_a,
        "group",
        [NewMember(mentors[0], "mentor")] + [NewMember(m, "mentee") for m in mentees[:3]],
        actor=alice,
        name="Fellowship writers",
    )
    assert load_of(mentors[0].pk) == 3 and _free(mentors[0]).free == 0
    # group mentees can still be matched one-to-one
    assert set(mentees[:3]) <= set(eligible_mentees(scheme_a))
    services.close(rel, reason="goals_met", actor=alice)
    assert load_of(mentors[0].pk) == 0


def test_network_counts_each_mentor_once(scheme_a, alice, people_a):
    mentors, mentees = people_a
    with pytest.raises(RelationshipError, match="different role"):
        services.create_relationship(
            scheme_a,
            "network",
            [
                NewMember(mentees[0], "mentee"),
                NewMember(mentors[0], "mentor", "coach"),
                NewMember(mentors[1], "mentor", "coach"),
            ],
            actor=alice,
        )
    services.create_relationship(
        scheme_a,
        "network",
        [
            NewMember(mentees[0], "mentee"),
            NewMember(mentors[0], "mentor", "coach"),
            NewMember(mentors[1], "mentor", "sponsor"),
        ],
        actor=alice,
    )
    assert (load_of(mentors[0].pk), load_of(mentors[1].pk), load_of(mentors[2].pk)) == (1, 1, 0)
    assert _free(mentors[0]).load == 1


def test_peer_circle_and_both_sides(scheme_a, alice, institution):
    from tests import factories

    peers = [
        factories.register_participant(
            scheme_a, f"peer{i}@example.org", role="both", approve_by=alice
        )
        for i in range(3)
    ]
    rel = services.create_relationship(
        scheme_a, "peer", [NewMember(p, "peer") for p in peers], actor=alice
    )
    assert all(load_of(p.pk) == 1 for p in peers)
    # the same participant can be a mentee elsewhere at the same time
    assert peers[0] in eligible_mentees(scheme_a)
    with pytest.raises(RelationshipError, match="both mentor and mentee"):
        mentors, _ = pair(scheme_a, alice, mentors=1, mentees=0)
        services.create_relationship(
            scheme_a,
            "peer",
            [NewMember(peers[0], "peer"), NewMember(mentors[0], "peer")],
            actor=alice,
        )
    assert rel.memberships.count() == 3


def test_cross_institution_rule(scheme_a, alice, people_a):
    mentors, mentees = people_a
    scheme_a.different_institutions = True
    scheme_a.save()
    mentors[0].institution = mentees[0].institution
    mentors[0].save()
    with pytest.raises(RelationshipError, match="different institutions"):
        services.create_relationship(
            scheme_a,
            "network",
            [NewMember(mentees[0], "mentee"), NewMember(mentors[0], "mentor", "adviser")],
            actor=alice,
        )


def test_one_to_one_uses_relationship_places_for_accepts(scheme_a, alice, people_a):
    mentors, mentees = people_a
    rel = accepted(scheme_a, alice, mentors[2], mentees[3])
    assert load_of(mentors[2].pk) == 1
    assert mentees[3] not in eligible_mentees(scheme_a)
    services.close(rel, reason="circumstances_changed", actor=None, member=member(rel, mentees[3]))
    assert load_of(mentors[2].pk) == 0
    assert mentees[3] in eligible_mentees(scheme_a)
    assert Relationship.objects.count() == 1
