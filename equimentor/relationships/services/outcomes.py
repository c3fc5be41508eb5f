"""Outcomes for reporting: milestones mentees record, sponsorship acts mentors record."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from equimentor.core import audit
from equimentor.enrolment.models import Participant
from equimentor.relationships.models import Membership, Milestone, Relationship, SponsorshipAct
from equimentor.relationships.services.base import (
    RelationshipError,
    Side,
    current_member,
    lock_relationship,
    today,
    touch,
)


@transaction.atomic
def add_milestone(
    participant: Participant,
    *,
    kind: str,
    title: str,
    achieved_on: date,
    actor,
    relationship: Relationship | None = None,
) -> Milestone:
    if not participant.is_mentee:
        raise RelationshipError("Milestones are recorded by mentees.")
    if kind not in Milestone.Kind.values:
        raise RelationshipError("Choose what kind of milestone this is.")
    if not title.strip():
        raise RelationshipError("Describe the milestone in a few words.")
    if achieved_on is None or achieved_on > today():
        raise RelationshipError("Give the date it happened (today or earlier).")
    if (
        relationship is not None
        and not relationship.memberships.filter(participant=participant).exists()
    ):
        raise RelationshipError("That relationship is not yours.")
    milestone = Milestone.objects.create(
        participant=participant,
        relationship=relationship,
        kind=kind,
        title=title.strip(),
        achieved_on=achieved_on,
    )
    audit.record(
        "relationships.milestone.added",
        milestone,
        actor=actor,
        scheme=participant.scheme,
        kind=kind,
    )
    return milestone


@transaction.atomic
def delete_milestone(milestone: Milestone, participant: Participant, *, actor) -> None:
    if milestone.participant_id != participant.pk:
        raise RelationshipError("Only the person who recorded a milestone can delete it.")
    audit.record(
        "relationships.milestone.deleted", milestone, actor=actor, scheme=participant.scheme
    )
    milestone.delete()


@transaction.atomic
def record_sponsorship(
    rel: Relationship,
    member: Membership,
    *,
    mentee: Participant,
    kind: str,
    description: str,
    on_date: date,
    actor,
) -> SponsorshipAct:
    rel = lock_relationship(rel)
    member = current_member(rel, member)
    if member.side not in (Side.MENTOR, Side.PEER):
        raise RelationshipError("Sponsorship is recorded by the mentor.")
    if not any(m.participant_id == mentee.pk and m.pk != member.pk for m in rel.active_members()):
        raise RelationshipError("Choose a mentee of this relationship.")
    if kind not in SponsorshipAct.Kind.values:
        raise RelationshipError("Choose what kind of sponsorship this was.")
    if on_date is None or on_date > today():
        raise RelationshipError("Give the date it happened (today or earlier).")
    act = SponsorshipAct.objects.create(
        relationship=rel,
        mentor=member.participant,
        mentee=mentee,
        kind=kind,
        description=description.strip(),
        on_date=on_date,
    )
    touch(rel)
    audit.record(
        "relationships.sponsorship.recorded",
        act,
        actor=actor,
        scheme=rel.scheme,
        kind=kind,
        relationship_id=rel.pk,
    )
    return act
