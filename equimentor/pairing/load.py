"""Mentor load and free capacity: one definition, used by the directory, matching and accepts.

A mentor's load is the proposals still waiting for replies (matching provides them) plus the
places their open mentoring relationships take (relationships provides them: one per mentee still
in a relationship they mentor, one per peer circle). An accepted proposal becomes a relationship,
so it is counted once, as a relationship place, until that relationship closes.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import F, Func, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from equimentor.pairing.parts import Part

# waiting(outer) -> expression: proposals waiting for the participant OuterRef(outer) as mentor
WAITING = Part("load.waiting", "matching")
# waiting_of(mentor_id) -> int
WAITING_OF = Part("load.waiting_of", "matching")
# places(outer) -> expression: places the participant OuterRef(outer) holds as a mentor
PLACES = Part("load.places", "relationships")
# places_of(mentor_id) -> int
PLACES_OF = Part("load.places_of", "relationships")
# waiting_in(scheme_id) -> [querysets of (participant id, proposals waiting for them as mentor)]
WAITING_IN = Part("load.waiting_in", "matching")
# places_in(scheme_id) -> [querysets of (participant id, places they hold as a mentor)]
PLACES_IN = Part("load.places_in", "relationships")


def count_of(qs) -> Subquery:
    """COUNT(*) of a queryset as a correlated subquery (no GROUP BY on the outer query)."""
    return Subquery(
        qs.order_by().annotate(n=Func("id", function="COUNT")).values("n")[:1],
        output_field=IntegerField(),
    )


def with_load(mentors: QuerySet) -> QuerySet:
    """Annotate participants with ``load`` (proposals waiting + open relationship places) and
    ``free`` places."""
    return mentors.annotate(load=WAITING("pk") + PLACES("pk")).annotate(
        free=Greatest(
            Coalesce(F("mentor_capacity"), Value(0)) - F("load"),
            Value(0),
            output_field=IntegerField(),
        ),
    )


def loads_in(scheme_id: int) -> Counter[int]:
    """The ``load`` (as ``with_load`` counts it) of every participant of a scheme who has any, by
    id: the parts' grouped counts in one query (UNION ALL), instead of two subqueries per
    participant (the directory's order of 50,000 mentors, #17)."""
    first, *rest = [*WAITING_IN(scheme_id), *PLACES_IN(scheme_id)]
    load: Counter[int] = Counter()
    for pk, n in first.union(*rest, all=True):
        load[pk] += n
    return load


def load_of(mentor_id: int) -> int:
    return WAITING_OF(mentor_id) + PLACES_OF(mentor_id)


def places_of(mentor_id: int) -> int:
    """Places taken by the mentor's open relationships (what an acceptance is checked against)."""
    return PLACES_OF(mentor_id)
