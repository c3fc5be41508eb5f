"""Object-level access to relationships: one helper per object kind, shared by pages and any API.

Members see their own relationships; coordinators of the scheme see every relationship of it but
never private notes, which only their author can ever reach (``private_notes_of``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from equimentor.enrolment.access import get_own_participation
from equimentor.relationships.models import (
    CheckIn,
    Flag,
    Goal,
    Meeting,
    Membership,
    Milestone,
    PrivateNote,
    Relationship,
)


def _members_prefetch() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.select_related(
            "participant__user", "participant__institution"
        ).order_by("side", "id"),
    )


def get_relationship_for_member(user, slug: str, pk: int) -> tuple[Relationship, Membership]:
    """A relationship the signed-in person is (or was) a member of, and their membership."""
    participant = get_own_participation(user, slug)
    membership = (
        Membership.objects.select_related("participant__user", "participant__scheme")
        .filter(
            relationship_id=pk, relationship__scheme=participant.scheme, participant=participant
        )
        .first()
    )
    if membership is None:
        raise Http404("No such relationship.")
    rel = (
        Relationship.objects.select_related("scheme")
        .prefetch_related(_members_prefetch())
        .get(pk=pk)
    )
    membership = next(m for m in rel.memberships.all() if m.pk == membership.pk)
    return rel, membership


def get_relationship_for_coordinator(scheme, pk: int) -> Relationship:
    """A relationship of ``scheme`` (whose coordinator ``staff.access.scheme_staff`` resolved);
    404 for anyone else's, so another scheme's ids tell its coordinators nothing."""
    rel = (
        Relationship.objects.select_related("scheme")
        .prefetch_related(_members_prefetch())
        .filter(scheme=scheme, pk=pk)
        .first()
    )
    if rel is None:
        raise Http404("No such relationship in this scheme.")
    return rel


def get_meeting_for_member(user, slug: str, rel_pk: int, pk: int):
    rel, membership = get_relationship_for_member(user, slug, rel_pk)
    meeting = (
        Meeting.objects.select_related("arranged_by__user", "logged_by__user")
        .filter(relationship=rel, pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404("No such meeting.")
    meeting.relationship = rel
    return meeting, rel, membership


def get_goal_for_member(user, slug: str, rel_pk: int, pk: int):
    rel, membership = get_relationship_for_member(user, slug, rel_pk)
    goal = Goal.objects.filter(relationship=rel, pk=pk).first()
    if goal is None:
        raise Http404("No such goal.")
    goal.relationship = rel
    return goal, rel, membership


def private_notes_of(user, rel: Relationship) -> QuerySet[PrivateNote]:
    """The only way to read private notes: the author's own, in one relationship."""
    return PrivateNote.objects.filter(relationship=rel, author=user).select_related("meeting")


def get_private_note_for_author(user, slug: str, rel_pk: int, pk: int) -> PrivateNote:
    rel, _ = get_relationship_for_member(user, slug, rel_pk)
    note = private_notes_of(user, rel).filter(pk=pk).first()
    if note is None:
        raise Http404("No such note.")
    return note


def get_check_in_for_owner(user, slug: str, pk: int) -> CheckIn:
    participant = get_own_participation(user, slug)
    check_in = (
        CheckIn.objects.select_related("relationship__scheme", "participant")
        .filter(participant=participant, pk=pk)
        .first()
    )
    if check_in is None:
        raise Http404("No such check-in.")
    return check_in


def get_milestone_for_owner(user, slug: str, pk: int) -> Milestone:
    participant = get_own_participation(user, slug)
    milestone = Milestone.objects.filter(participant=participant, pk=pk).first()
    if milestone is None:
        raise Http404("No such milestone.")
    return milestone


def get_flag_for_coordinator(scheme, pk: int) -> Flag:
    """A flag of ``scheme`` (whose coordinator ``staff.access.scheme_staff`` resolved)."""
    flag = Flag.objects.filter(scheme=scheme, pk=pk).first()
    if flag is None:
        raise PermissionDenied("No such flag in this scheme.")
    return flag
