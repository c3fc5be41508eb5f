"""How many mentee places a mentor's open relationships take (their part of ``pairing.load``).

A mentor member of an open relationship takes one place per mentee still in it (a group of four
takes four places; each mentor of a network takes one); a peer-circle member takes one place.
"""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce

from equimentor.pairing.load import count_of
from equimentor.relationships.models import Membership, Relationship


def _mentee_places(mentor):
    return Membership.objects.filter(
        side=Membership.Side.MENTEE,
        left_at__isnull=True,
        relationship__state__in=Relationship.OPEN_STATES,
        relationship__memberships__participant=mentor,
        relationship__memberships__side=Membership.Side.MENTOR,
        relationship__memberships__left_at__isnull=True,
    )


def _peer_places(participant):
    return Membership.objects.filter(
        participant=participant,
        side=Membership.Side.PEER,
        left_at__isnull=True,
        relationship__state__in=Relationship.OPEN_STATES,
    )


def open_places(outer: str = "pk"):
    """An expression for the places the participant ``OuterRef(outer)`` holds as a mentor."""
    return Coalesce(count_of(_mentee_places(OuterRef(outer))), Value(0)) + Coalesce(
        count_of(_peer_places(OuterRef(outer))), Value(0)
    )


def open_places_in(scheme_id: int) -> list[QuerySet]:
    """(participant id, places) for the participants of scheme ``scheme_id`` who hold any places
    as a mentor: the grouped form of ``open_places`` (the same rows, counted by the mentor or
    peer they belong to), as two queries whose rows add up."""
    mentee = (
        Membership.objects.filter(
            side=Membership.Side.MENTEE,
            left_at__isnull=True,
            relationship__state__in=Relationship.OPEN_STATES,
            relationship__memberships__participant__scheme_id=scheme_id,
            relationship__memberships__side=Membership.Side.MENTOR,
            relationship__memberships__left_at__isnull=True,
        )
        .order_by()
        .values("relationship__memberships__participant_id")
        .annotate(n=Count("id"))
        .values_list("relationship__memberships__participant_id", "n")
    )
    peer = (
        Membership.objects.filter(
            participant__scheme_id=scheme_id,
            side=Membership.Side.PEER,
            left_at__isnull=True,
            relationship__state__in=Relationship.OPEN_STATES,
        )
        .order_by()
        .values("participant_id")
        .annotate(n=Count("id"))
        .values_list("participant_id", "n")
    )
    return [mentee, peer]


def mentee_places_of(participant_id: int) -> int:
    """How many mentees the participant mentors now (one per mentee still in an open
    relationship they are a mentor of: a group of four counts four)."""
    return _mentee_places(participant_id).count()


def open_places_of(participant_id: int) -> int:
    return mentee_places_of(participant_id) + _peer_places(participant_id).count()
