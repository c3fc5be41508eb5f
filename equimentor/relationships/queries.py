"""Read-only questions about relationships, asked by matching, the pages and the scheduler."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from itertools import permutations

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from equimentor.core.params import query_int
from equimentor.relationships.models import (
    AgreementVersion,
    CheckIn,
    Flag,
    Goal,
    Meeting,
    Membership,
    Relationship,
)


def never_again_pairs(scheme, *, told_only: bool = False) -> set[tuple[int, int]]:
    """(mentee id, mentor id) pairs never to be proposed again, both ways round.

    A relationship closed as no-fault or for safeguarding keeps all its members apart; someone who
    stepped away after the trial, or asked never to be matched again, is kept apart from the others.
    With ``told_only``, only the pairs whose first person knows why: the relationship's close,
    their own step-away or wish, or the other's step-away (they were told the relationship would
    not continue) — never the other's wish not to be matched again, which is theirs alone.
    """
    rows = (
        Membership.objects.filter(relationship__scheme=scheme)
        .filter(
            Q(relationship__close_reason__in=Relationship.NEVER_AGAIN_REASONS)
            | Q(relationship__memberships__left_reason=Membership.LeftReason.STEPPED_AWAY)
            | Q(relationship__memberships__never_again=True)
        )
        .values_list(
            "relationship_id",
            "participant_id",
            "left_reason",
            "never_again",
            "relationship__close_reason",
        )
        .distinct()
    )
    members: dict[int, list[tuple[int, bool, bool]]] = defaultdict(list)
    whole: set[int] = set()
    for rel_id, pid, left_reason, never_again, close_reason in rows:
        stepped = left_reason == Membership.LeftReason.STEPPED_AWAY
        members[rel_id].append((pid, never_again or stepped, stepped))
        if close_reason in Relationship.NEVER_AGAIN_REASONS:
            whole.add(rel_id)
    pairs: set[tuple[int, int]] = set()
    for rel_id, people in members.items():
        for (a, a_apart, _a_stepped), (b, b_apart, b_stepped) in permutations(people, 2):
            if told_only:
                if rel_id in whole or a_apart or b_stepped:
                    pairs.add((a, b))
            elif rel_id in whole or a_apart or b_apart:
                pairs.add((a, b))
    return pairs


def mentees_in_open_one_to_one(scheme) -> QuerySet:
    return Membership.objects.filter(
        relationship__scheme=scheme,
        relationship__kind=Relationship.Kind.ONE_TO_ONE,
        relationship__state__in=Relationship.OPEN_STATES,
        side=Membership.Side.MENTEE,
        left_at__isnull=True,
    ).values("participant_id")


def open_relationships_as_mentor(participant) -> int:
    """How many open relationships this participant is still in on the mentor side."""
    return (
        Membership.objects.filter(
            participant=participant,
            side=Membership.Side.MENTOR,
            left_at__isnull=True,
            relationship__state__in=Relationship.OPEN_STATES,
        )
        .values("relationship_id")
        .distinct()
        .count()
    )


def count_open_relationships(participant) -> int:
    """How many open relationships this participant is still in, on any side."""
    return open_relationships_of(participant).count()


def open_relationships_of(participant) -> QuerySet[Relationship]:
    """The open relationships this participant is still a member of (any side), oldest first."""
    return (
        Relationship.objects.filter(
            state__in=Relationship.OPEN_STATES,
            memberships__participant=participant,
            memberships__left_at__isnull=True,
        )
        .distinct()
        .order_by("started_at", "pk")
    )


def relationships_of(participant) -> QuerySet[Relationship]:
    """Every relationship this participant is or was a member of, with members and goals."""
    return (
        Relationship.objects.filter(memberships__participant=participant)
        .select_related("scheme")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related(
                    "participant__user", "participant__institution"
                ),
            ),
            Prefetch(
                "meetings",
                queryset=Meeting.objects.filter(status=Meeting.Status.SCHEDULED).order_by(
                    "starts_at"
                ),
                to_attr="scheduled_meetings",
            ),
            Prefetch("goals", queryset=Goal.objects.order_by("target_date")),
            Prefetch(
                "agreement_versions",
                queryset=AgreementVersion.objects.prefetch_related("confirmations"),
            ),
        )
        .distinct()
        .order_by("-started_at", "-id")
    )


def check_ins_due(participant) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(participant=participant, answered_at__isnull=True).select_related(
        "relationship"
    )


def coordinator_rows(scheme, params):
    """The coordinator's list: every relationship with members, flags and last meeting.
    ``core.params.QueryError`` if ``weeks`` is not from 1 to 520."""
    rows = (
        Relationship.objects.filter(scheme=scheme)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("participant__user").order_by(
                    "side", "id"
                ),
            )
        )
        .annotate(
            open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True), distinct=True),
            meetings_held=Count(
                "meetings", filter=Q(meetings__status=Meeting.Status.HELD), distinct=True
            ),
            last_flag=Max("flags__created_at"),
        )
        .order_by("-started_at", "-id")
    )
    state = params.get("state", "")
    if state == "open":
        rows = rows.filter(state__in=Relationship.OPEN_STATES)
    elif state in Relationship.State.values:
        rows = rows.filter(state=state)
    kind = params.get("kind", "")
    if kind in Relationship.Kind.values:
        rows = rows.filter(kind=kind)
    if params.get("flagged"):
        rows = rows.filter(flags__isnull=False, flags__resolved_at__isnull=True).distinct()
    flag = params.get("flag", "")
    if flag in Flag.Kind.values:  # an open flag of one kind (the coordinator's attention list)
        rows = rows.filter(
            Exists(Flag.objects.filter(relationship=OuterRef("pk"), kind=flag, resolved_at=None))
        )
    weeks = query_int(params, "weeks", lo=1, hi=520, label="Weeks without a meeting")
    if weeks is not None:
        cutoff = timezone.now() - timedelta(weeks=weeks)
        rows = rows.filter(state__in=Relationship.OPEN_STATES).filter(
            Q(last_met_at__lt=cutoff) | Q(last_met_at__isnull=True, started_at__lt=cutoff)
        )
    return rows
