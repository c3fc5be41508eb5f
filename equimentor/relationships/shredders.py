"""Relationships' part of erasure (see ``core.erasure``). Relationships, memberships and meetings
stay (the reports count them); her open relationships are closed."""

from __future__ import annotations

from django.db.models import Q

from equimentor.core import erasure
from equimentor.relationships import services as rel_services
from equimentor.relationships.models import (
    AgreementConfirmation,
    AgreementVersion,
    CheckIn,
    Flag,
    Goal,
    GoalReview,
    Meeting,
    Membership,
    Milestone,
    PrivateNote,
    Relationship,
    SponsorshipAct,
)

AGREEMENT_TEXT = ("topics", "outputs", "confidentiality", "duration", "ending")
MEETING_TEXT = ("video_link", "location", "agenda", "shared_notes", "actions")
CODED = "coded values counted in the reports"


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
    # what she wrote into what is shared with the other members: agreements she saved and
    # meetings she arranged or logged lose their free text (the meetings are still counted)
    n += AgreementVersion.objects.filter(saved_by__user=user).update(
        **dict.fromkeys(AGREEMENT_TEXT, "")
    )
    n += Meeting.objects.filter(Q(arranged_by__user=user) | Q(logged_by__user=user)).update(
        **dict.fromkeys(MEETING_TEXT, "")
    )
    # and her address or name written by anyone, anywhere in this app's text
    n += person.scrub_rows(AgreementVersion.objects.all(), AGREEMENT_TEXT)
    n += person.scrub_rows(Meeting.objects.all(), MEETING_TEXT)
    n += person.scrub_rows(PrivateNote.objects.all(), ["body"])
    n += person.scrub_rows(Goal.objects.all(), ["title", "detail"])
    n += person.scrub_rows(GoalReview.objects.all(), ["note"])
    n += person.scrub_rows(Milestone.objects.all(), ["title"])
    n += person.scrub_rows(SponsorshipAct.objects.all(), ["description"])
    n += person.scrub_rows(Relationship.objects.all(), ["name"])
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
        erasure.Covers(
            PrivateNote,
            deleted="her own private notes",
            erased="body",
            kept={"author": "others' notes stay theirs (her name in them is replaced)"},
        ),
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
        erasure.Covers(
            Relationship,
            erased="name",
            kept={
                "kind state pause_reason resume_state close_reason": CODED,
                "created_by": "who started it (staff), pointing at the anonymised account",
            },
        ),
        erasure.Covers(
            AgreementVersion,
            erased=AGREEMENT_TEXT,
            kept={"frequency mode": CODED, "saved_by": "the version stays, anonymised"},
        ),
        erasure.Covers(
            AgreementConfirmation, kept={"participant": "that the agreement was confirmed"}
        ),
        erasure.Covers(
            Meeting,
            erased=MEETING_TEXT,
            kept={
                "time_zone mode status agenda_by": CODED,
                "arranged_by logged_by": "meetings are counted; the anonymised participation",
            },
        ),
        erasure.Covers(
            Flag,
            kept={
                "kind key participant resolved_by": "lapse flags on a relationship: codes and ids"
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
