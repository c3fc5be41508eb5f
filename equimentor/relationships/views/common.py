"""What the relationship pages share: next steps for a member, tab context, error messages and
meeting times."""

from __future__ import annotations

from django.contrib import messages

from equimentor.core.roles import Role
from equimentor.relationships import services
from equimentor.relationships.models import Membership, Relationship

COORDINATOR = Role.COORDINATOR
State = Relationship.State


def next_steps(rel: Relationship, member: Membership, *, confirmed_latest: bool | None = None):
    """What this member should do next in this relationship: (text, url name) pairs."""
    if rel.state == State.CLOSED or member.left_at is not None:
        return []
    steps = []
    scheduled = getattr(rel, "scheduled_meetings", None)
    if rel.state == State.ACCEPTED:
        if not scheduled:
            steps.append(
                (
                    "Arrange your first meeting (a trial: either of you can step away "
                    "afterwards without fault).",
                    "relationships:meetings",
                )
            )
        else:
            steps.append(
                ("After your first meeting, log whether it took place.", "relationships:meetings")
            )
    if rel.state == State.TRIAL and not member.trial_decision:
        steps.append(
            ("Tell us privately whether you would like to continue.", "relationships:detail")
        )
    if rel.state in (State.ACCEPTED, State.TRIAL) and confirmed_latest is False:
        steps.append(("Agree and confirm your mentoring agreement.", "relationships:agreement"))
    if rel.state == State.ENDING_DUE and not member.end_choice:
        steps.append(("The end date is near: choose to extend or close.", "relationships:detail"))
    if rel.state in (State.ACTIVE, State.EXTENDED) and not scheduled:
        steps.append(("Arrange your next meeting.", "relationships:meetings"))
    return steps


def tabs(rel, active: str) -> dict:
    return {"rel": rel, "active": active, "scheme": rel.scheme}


def show_error(request, exc) -> None:
    messages.error(request, str(exc))


def local_plan(form) -> services.MeetingPlan:
    return services.MeetingPlan.from_fields(form.cleaned_data)
