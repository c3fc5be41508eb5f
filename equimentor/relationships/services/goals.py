"""The mentee's goals and their reviews (at a meeting or on their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.relationships.models import Goal, GoalReview, Membership, Relationship
from equimentor.relationships.services.base import (
    RelationshipError,
    Side,
    current_member,
    lock_relationship,
    require_open,
    today,
    touch,
)

# -- goals ----------------------------------------------------------------------------------------


@dataclass
class GoalCheck:
    goal: Goal
    status: str
    progress: int
    note: str = ""


@transaction.atomic
def add_goal(
    rel: Relationship, member: Membership, *, title: str, detail: str, target_date: date, actor
) -> Goal:
    rel = lock_relationship(rel)
    require_open(rel, "add goals")
    member = current_member(rel, member)
    if member.side == Side.MENTOR:
        raise RelationshipError("Goals belong to the mentee: she sets them for herself.")
    if not title.strip():
        raise RelationshipError("Give the goal a short, specific title.")
    if target_date is None or target_date < today():
        raise RelationshipError("Choose a target date from today onwards.")
    goal = Goal.objects.create(
        relationship=rel,
        owner=member.participant,
        title=title.strip(),
        detail=detail.strip(),
        target_date=target_date,
    )
    touch(rel)
    audit.record(
        "relationships.goal.added", goal, actor=actor, scheme=rel.scheme, relationship_id=rel.pk
    )
    return goal


def review_goal(rel, check: GoalCheck, *, by, meeting=None) -> GoalReview:
    goal = check.goal
    if goal.relationship_id != rel.pk:
        raise RelationshipError("No such goal in this relationship.")
    if check.status not in Goal.Status.values or not 0 <= check.progress <= 100:
        raise RelationshipError("Give a status and progress between 0 and 100%.")
    now = timezone.now()
    goal.status = check.status
    goal.progress = 100 if check.status == Goal.Status.ACHIEVED else check.progress
    goal.last_reviewed_at = now
    goal.save(update_fields=["status", "progress", "last_reviewed_at"])
    return GoalReview.objects.create(
        goal=goal,
        meeting=meeting,
        by=by,
        status=goal.status,
        progress=goal.progress,
        note=check.note.strip(),
        at=now,
    )


@transaction.atomic
def update_goal(goal: Goal, member: Membership, check: GoalCheck, *, actor) -> Goal:
    """The mentee who owns a goal records its progress and status."""
    rel = lock_relationship(goal.relationship)
    require_open(rel, "update goals")
    member = current_member(rel, member)
    if goal.owner_id != member.participant_id:
        raise RelationshipError("Only the mentee who owns this goal can update it.")
    check.goal = Goal.objects.select_for_update().get(pk=goal.pk)
    review = review_goal(rel, check, by=member.participant)
    touch(rel)
    audit.record(
        "relationships.goal.updated",
        check.goal,
        actor=actor,
        scheme=rel.scheme,
        status=review.status,
        progress=review.progress,
    )
    return check.goal
