"""What every relationship service shares: the error, the allowed state changes, dates, and
locking a relationship with its members."""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from equimentor.relationships.models import Membership, Relationship

State = Relationship.State
Reason = Relationship.CloseReason
Side = Membership.Side


class RelationshipError(Exception):
    """A relationship action that cannot be carried out, with a message for the person."""


# Allowed state changes; anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    State.ACCEPTED: {State.TRIAL, State.CLOSED},
    State.TRIAL: {State.ACTIVE, State.CLOSED},
    State.ACTIVE: {State.PAUSED, State.ENDING_DUE, State.CLOSED},
    State.PAUSED: {State.ACTIVE, State.EXTENDED, State.CLOSED},
    State.ENDING_DUE: {State.EXTENDED, State.PAUSED, State.CLOSED},
    State.EXTENDED: {State.PAUSED, State.ENDING_DUE, State.CLOSED},
    State.CLOSED: set(),
}


def today() -> date:
    return timezone.localdate(timezone.now(), timezone.get_default_timezone())


def add_months(start: date, months: int) -> date:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def lock_relationship(rel: Relationship) -> Relationship:
    """The relationship's row, locked for this transaction (its own row only, not its scheme's),
    with its scheme and its members (with their people) loaded: two queries."""
    locked = (
        Relationship.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=rel.pk)
    )
    members = Membership.objects.select_related("participant__user")
    prefetch_related_objects([locked], Prefetch("memberships", queryset=members))
    return locked


def current_member(rel: Relationship, member: Membership) -> Membership:
    for m in rel.memberships.all():
        if m.pk == member.pk and m.left_at is None:
            return m
    raise RelationshipError("You are no longer a member of this relationship.")


def move_to(rel: Relationship, to: str, *, fields: list[str] | None = None) -> None:
    if to not in TRANSITIONS[rel.state]:
        raise RelationshipError(
            f"A relationship that is {rel.get_state_display().lower()} cannot become "
            f"{State(to).label.lower()}."
        )
    rel.state = to
    rel.last_activity_at = timezone.now()
    rel.save(update_fields=["state", "last_activity_at", *(fields or [])])


def touch(rel: Relationship) -> None:
    rel.last_activity_at = timezone.now()
    rel.save(update_fields=["last_activity_at"])


def require_open(rel: Relationship, doing: str) -> None:
    if rel.state == State.CLOSED:
        raise RelationshipError(f"This relationship has closed, so you cannot {doing}.")
