"""Mentor load and free capacity: one definition, used by the directory, matching and accepts."""

from __future__ import annotations

from django.db.models import Count, F, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest

from equimentor.matching.models import Proposal

LOAD_FILTER = Q(proposals_as_mentor__status__in=Proposal.ACTIVE)


def with_load(mentors: QuerySet) -> QuerySet:
    """Annotate participants with ``load`` (proposals waiting or accepted) and ``free`` places."""
    return mentors.annotate(
        load=Count("proposals_as_mentor", filter=LOAD_FILTER, distinct=True),
    ).annotate(
        free=Greatest(
            Coalesce(F("mentor_capacity"), Value(0)) - F("load"),
            Value(0),
            output_field=IntegerField(),
        ),
    )


def load_of(mentor_id: int) -> int:
    return Proposal.objects.filter(mentor_id=mentor_id, status__in=Proposal.ACTIVE).count()
