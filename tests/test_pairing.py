"""Pairing's rules read facts owned by the apps above it, which register their parts (#22):
each part has its owner's provider, and a part nobody provides is an error, never "no one"."""

from __future__ import annotations

import pytest

from equimentor.matching import queries as matching_queries
from equimentor.pairing import exclusions, gate, load
from equimentor.pairing.parts import Part
from equimentor.relationships import capacity as relationship_capacity
from equimentor.relationships import queries as relationship_queries
from equimentor.safeguarding import services as safeguarding
from equimentor.safeguarding.models import PairBlock
from equimentor.training import gate as training_gate
from tests import factories


def test_every_part_has_its_owners_provider():
    assert {name: part.providers for name, part in Part.registry.items()} == {
        "gate.ready": [training_gate.ready],
        "load.waiting": [matching_queries.waiting_for],
        "load.waiting_of": [matching_queries.waiting_for_mentor],
        "load.places": [relationship_capacity.open_places],
        "load.places_of": [relationship_capacity.open_places_of],
        "load.waiting_in": [matching_queries.waiting_in],
        "load.places_in": [relationship_capacity.open_places_in],
        "exclusions.never_again": [
            relationship_queries.never_again_pairs,
            safeguarding.never_again_pairs,
        ],
        "exclusions.busy_mentees": [relationship_queries.mentees_in_open_one_to_one],
        "exclusions.choices_closed_reason": [matching_queries.choices_closed_reason],
        "exclusions.proposal_waiting": [matching_queries.has_waiting_proposal],
    }
    assert (gate.READY, load.WAITING, exclusions.NEVER_AGAIN) == (
        Part.registry["gate.ready"],
        Part.registry["load.waiting"],
        Part.registry["exclusions.never_again"],
    )


def test_a_part_nobody_provides_is_an_error(monkeypatch):
    part = Part("test.unprovided", "nobody", many=True)
    try:
        with pytest.raises(LookupError, match="test.unprovided"):
            part()
        with pytest.raises(LookupError, match="nobody"):
            part.each()
        single = Part("test.single", "one app")
        single.provide(len)
        with pytest.raises(ValueError, match="already has a provider"):
            single.provide(abs)
    finally:
        Part.registry.pop("test.unprovided", None)
        Part.registry.pop("test.single", None)


@pytest.mark.django_db
def test_a_safeguarding_block_counts_but_is_never_told():
    scheme = factories.make_scheme()
    mentee = factories.register_participant(scheme, "mentee@example.org", role="mentee")
    mentor = factories.register_participant(scheme, "mentor@example.org", role="mentor")
    PairBlock.objects.create(scheme=scheme, mentee=mentee, mentor=mentor)
    assert (mentee.pk, mentor.pk) in exclusions.never_again(scheme)
    assert (mentee.pk, mentor.pk) not in exclusions.never_again(scheme, told_only=True)
