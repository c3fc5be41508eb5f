"""Mentor load and free capacity: one definition, used by the directory, matching and accepts.

A mentor's load is the proposals still waiting for replies plus the places their open mentoring
relationships take (see ``relationships.capacity``). An accepted proposal becomes a relationship,
so it is counted once, as a relationship place, until that relationship closes.
"""

from __future__ import annotations

from django.db.models import F, IntegerField, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest

from equimentor.matching.models import Proposal
from equimentor.relationships.capacity import count_of, open_places, open_places_of


def _waiting(outer: str = "pk"):
    return Coalesce(
        count_of(Proposal.objects.filter(mentor=OuterRef(outer), status=Proposal.Status.PROPOSED)),
        Value(0),
    )


def with_load(mentors: QuerySet) -> QuerySet:
    """Annotate participants with ``load`` (proposals waiting + open relationship places) and
    ``free`` places."""
    return mentors.annotate(
        load=_waiting() + open_places(),
    ).annotate(
        free=Greatest(
            Coalesce(F("mentor_capacity"), Value(0)) - F("load"),
            Value(0),
            output_field=IntegerField(),
        ),
    )


def load_of(mentor_id: int) -> int:
    waiting = Proposal.objects.filter(mentor_id=mentor_id, status=Proposal.Status.PROPOSED).count()
    return waiting + open_places_of(mentor_id)


def places_of(mentor_id: int) -> int:
    """Places taken by the mentor's open relationships (what an acceptance is checked against)."""
    return open_places_of(mentor_id)
