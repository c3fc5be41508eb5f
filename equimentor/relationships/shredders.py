"""Relationships' part of erasure (see ``core.erasure``). Relationships, memberships and meetings
stay (the reports count them); her open relationships are closed."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.relationships import services as rel_services
from equimentor.relationships.models import (
    CheckIn,
    Goal,
    GoalReview,
    Meeting,
    Membership,
    Milestone,
    PrivateNote,
    Relationship,
    SponsorshipAct,
)


def _export(user):
    members = Membership.objects.filter(participant__user=user)
    rel_ids = list(members.values_list("relationship_id", flat=True))
    return {
        "memberships": erasure.rows(members),
        "meetings": erasure.rows(Meeting.objects.filter(relationship_id__in=rel_ids)),
        "goals": erasure.rows(Goal.objects.filter(owner__user=user)),
        "milestones": erasure.rows(Milestone.objects.filter(participant__user=user)),
        "sponsorship_given": erasure.rows(SponsorshipAct.objects.filter(mentor__user=user)),
        "sponsorship_received": erasure.rows(SponsorshipAct.objects.filter(mentee__user=user)),
        "check_ins": erasure.rows(CheckIn.objects.filter(participant__user=user)),
        # Their own private notes only; never anyone else's.
        "private_notes": erasure.rows(PrivateNote.objects.filter(author=user)),
    }


def _erase(person: erasure.Person) -> int:
    user = person.user
    n = PrivateNote.objects.filter(author=user).delete()[0]
    n += Goal.objects.filter(owner__user=user).update(title=erasure.ERASED, detail="")
    n += GoalReview.objects.filter(by__user=user).update(note="")
    n += Milestone.objects.filter(participant__user=user).update(title=erasure.ERASED)
    n += SponsorshipAct.objects.filter(mentor__user=user).update(description="")
    n += SponsorshipAct.objects.filter(mentee__user=user).update(description="")
    open_rels = Relationship.objects.filter(
        state__in=Relationship.OPEN_STATES,
        memberships__participant__user=user,
        memberships__left_at__isnull=True,
    ).distinct()
    for rel in open_rels:
        rel_services.close(rel, reason=Relationship.CloseReason.WITHDRAWN, actor=None)
        n += 1
    return n


SHREDDER = erasure.Shredder(
    name="relationships",
    order=50,
    covers=(
        erasure.Covers(PrivateNote, deleted="her own private notes"),
        erasure.Covers(Goal, erased="title detail", kept={"owner status": "counted in reports"}),
        erasure.Covers(GoalReview, erased="note", kept={"by status": "counted in reports"}),
        erasure.Covers(Milestone, erased="title", kept={"participant kind": "counted in reports"}),
        erasure.Covers(
            SponsorshipAct,
            erased="description",
            kept={"mentor mentee kind": "sponsorship by group is a report"},
        ),
        erasure.Covers(
            Membership,
            kept={
                "participant side role left_reason trial_decision end_choice": (
                    "memberships are counted (who took part, who ended early and why, coded)"
                ),
            },
        ),
        erasure.Covers(CheckIn, kept={"participant": "whether check-ins were answered, counted"}),
    ),
    erase=_erase,
    export=_export,
)
