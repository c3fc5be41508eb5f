"""Read-only questions other apps ask about matching."""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce

from equimentor.matching.models import MatchingRound, Proposal
from equimentor.pairing.load import count_of


def awaiting_reply(participant) -> QuerySet[Proposal]:
    """Proposals still waiting for this participant's own reply."""
    return Proposal.objects.filter(
        Q(mentee=participant, mentee_reply="") | Q(mentor=participant, mentor_reply=""),
        status=Proposal.Status.PROPOSED,
    )


def count_awaiting_reply(participant) -> int:
    return awaiting_reply(participant).count()


def waiting_naming(participant) -> QuerySet[Proposal]:
    """Proposals still waiting that name this participant, whoever has yet to reply."""
    return Proposal.objects.filter(
        Q(mentee=participant) | Q(mentor=participant), status=Proposal.Status.PROPOSED
    )


def count_waiting_naming(participant) -> tuple[int, int]:
    """Proposals still waiting that name this participant, as (waiting for their own reply,
    waiting only for the other side's): withdrawing declines both kinds."""
    waiting = waiting_naming(participant)
    own = Q(mentee=participant, mentee_reply="") | Q(mentor=participant, mentor_reply="")
    counts = waiting.aggregate(total=Count("pk"), own=Count("pk", filter=own))
    return counts["own"], counts["total"] - counts["own"]


def accepted_with_date(scheme) -> QuerySet[Proposal]:
    """The scheme's accepted proposals that record when they were accepted."""
    return Proposal.objects.filter(
        scheme=scheme, status=Proposal.Status.ACCEPTED, decided_at__isnull=False
    )


def days_to_match(accepted: QuerySet[Proposal], keys=()) -> dict[tuple, list[float]]:
    """{(values of ``keys``...): [days from the mentee's registration to the match]} for a
    queryset of accepted proposals (annotated with ``keys``; none: one group ``()``)."""
    keys = list(keys)
    out: dict[tuple, list[float]] = defaultdict(list)
    if connection.vendor == "postgresql":
        # The interval in seconds, worked out by the database: reading 2 timestamps a row in
        # Python dominated the report's time at 50,000 matches. Same value, exactly.
        qs = accepted.annotate(
            secs=Func(
                ExpressionWrapper(
                    F("decided_at") - F("mentee__registered_at"), output_field=DurationField()
                ),
                template="EXTRACT(EPOCH FROM %(expressions)s)",
                output_field=DecimalField(),
            )
        )
        for row in qs.values_list(*keys, "secs"):
            out[tuple(row[: len(keys)])].append(float(row[-1]) / 86400)
        return out
    for row in accepted.values_list(*keys, "decided_at", "mentee__registered_at"):
        out[tuple(row[: len(keys)])].append((row[-2] - row[-1]).total_seconds() / 86400)
    return out


# -- what the directory asks (provided to pairing.exclusions) ---------------------------------

CLOSED_MESSAGE = "Choices are closed while the coordinator runs matching."
PUBLISHED_MESSAGE = (
    "Choices are closed: the coordinator has published this round's proposals. "
    "They open again when the next round starts."
)


def latest_round(scheme) -> MatchingRound | None:
    return MatchingRound.objects.filter(scheme=scheme).order_by("-opened_at", "-id").first()


def choices_closed_reason(scheme) -> str:
    """Why mentees' choices cannot change now, or "" while they can (no round yet, or one
    collecting)."""
    current = latest_round(scheme)
    if current is None or current.is_collecting:
        return ""
    if current.status == MatchingRound.Status.PUBLISHED:
        return PUBLISHED_MESSAGE
    return CLOSED_MESSAGE


def has_waiting_proposal(mentee) -> bool:
    """Whether a proposal waits for a reply: while it does, the mentee is left out of a new
    round (``matching.adapter.eligible_mentees``), and her choices page says so."""
    return Proposal.objects.filter(mentee=mentee, status=Proposal.Status.PROPOSED).exists()


def waiting_for(outer: str = "pk"):
    """An expression: proposals waiting for a reply with the participant ``OuterRef(outer)`` as
    mentor (their part of a mentor's load, ``pairing.load``)."""
    return Coalesce(
        count_of(Proposal.objects.filter(mentor=OuterRef(outer), status=Proposal.Status.PROPOSED)),
        Value(0),
    )


def waiting_in(scheme_id: int) -> list[QuerySet]:
    """(mentor id, proposals waiting for a reply) for the participants of scheme ``scheme_id``
    with any: the grouped form of ``waiting_for``."""
    return [
        Proposal.objects.filter(mentor__scheme_id=scheme_id, status=Proposal.Status.PROPOSED)
        .order_by()
        .values("mentor_id")
        .annotate(n=Count("id"))
        .values_list("mentor_id", "n")
    ]


def waiting_for_mentor(mentor_id: int) -> int:
    return Proposal.objects.filter(mentor_id=mentor_id, status=Proposal.Status.PROPOSED).count()
