"""Per-app shredders: each exports what its app holds about a person, then erases it.

Erasure anonymises rather than deletes rows that reports count (participations, relationships,
meetings, audit events), so aggregate totals stay correct; free text and contact details are
blanked, identity answers and private notes are deleted. The audit trail keeps every event (that
an action happened, when, of what kind) with its actor pointing at the anonymised account.

Not exported (UK GDPR exemptions for other people's data): anything that would identify a reporter
(no case in which the person is the subject appears), other people's private notes, coordinators'
private notes about proposals written by the other side, and mentors' rankings of mentees.
Not erased: safeguarding cases the person is the subject of (kept for the retention period, as
safeguarding records), and the ``excluded`` links that keep such a case hidden from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db import models
from django.utils import timezone

ERASED_NAME = "Erased person"


def erased_email(user) -> str:
    return f"erased-{user.pk}@erased.invalid"


def _value(v):
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal | UUID):
        return str(v)
    if isinstance(v, models.Model):
        return v.pk
    return v


def rows(qs, exclude=()) -> list[dict]:
    out = []
    for obj in qs:
        row = {}
        for f in obj._meta.concrete_fields:
            if f.name in exclude or f.name.endswith("hash") or f.name == "password":
                continue
            row[f.attname if f.is_relation else f.name] = _value(getattr(obj, f.attname))
        out.append(row)
    return out


@dataclass(frozen=True)
class Shredder:
    name: str
    export: Callable
    erase: Callable


# -- accounts ------------------------------------------------------------------------------------


def _accounts_export(user):
    return rows([user], exclude=("is_staff", "is_superuser"))


def _accounts_erase(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.sign_in_links.all().delete()
    TOTPDevice.objects.filter(user=user).delete()
    try:
        from axes.models import AccessAttempt, AccessLog

        AccessAttempt.objects.filter(username__iexact=user.email).delete()
        AccessLog.objects.filter(username__iexact=user.email).delete()
    except Exception:  # noqa: BLE001  (axes not installed)
        pass
    user.email = erased_email(user)
    user.full_name = ERASED_NAME
    user.set_unusable_password()
    user.is_active = False
    user.save()
    return 1


# -- enrolment and identity ----------------------------------------------------------------------

PROFILE_TEXT = (
    "job_title",
    "department",
    "research_interests",
    "career_summary",
    "offers",
    "seeks",
    "meeting_notes",
    "status_message",
)


def _participations(user):
    from equimentor.enrolment.models import Participant

    return Participant.objects.filter(user=user)


def _enrolment_export(user):
    from equimentor.enrolment.models import Consent, ExpressionOfInterest

    parts = _participations(user)
    return {
        "participations": rows(parts),
        "consents": rows(Consent.objects.filter(participant__in=parts)),
        "expressions_of_interest": rows(
            ExpressionOfInterest.objects.filter(email__iexact=user.email)
        ),
    }


def _enrolment_erase(user):
    from equimentor.enrolment.models import ExpressionOfInterest, Participant

    n = ExpressionOfInterest.objects.filter(email__iexact=user.email).update(
        email=erased_email(user), name="", institution_other=""
    )
    now = timezone.now()
    for p in _participations(user):
        for f in PROFILE_TEXT:
            setattr(p, f, "")
        if p.status not in (Participant.Status.WITHDRAWN, Participant.Status.DECLINED):
            p.status = Participant.Status.WITHDRAWN
            p.withdrawn_at = now
        p.save()
        n += 1
    return n


def _identity_export(user):
    from equimentor.identity.models import IdentityAnswer

    return rows(IdentityAnswer.objects.filter(participant__user=user))


def _identity_erase(user):
    from equimentor.identity.models import IdentityAnswer

    return IdentityAnswer.objects.filter(participant__user=user).delete()[0]


# -- directory and matching ----------------------------------------------------------------------


def _directory_export(user):
    from equimentor.directory.models import Choice, Conflict, MenteePreference, MentorListing

    parts = _participations(user)
    return {
        "listings": rows(MentorListing.objects.filter(participant__in=parts)),
        "choices_made": rows(Choice.objects.filter(mentee__in=parts)),
        "preferences": rows(MenteePreference.objects.filter(mentee__in=parts)),
        "conflicts_declared": rows(Conflict.objects.filter(mentee__in=parts)),
    }


def _directory_erase(user):
    from equimentor.directory.models import Choice, MentorListing

    parts = _participations(user)
    n = MentorListing.objects.filter(participant__in=parts).update(is_published=False)
    return n + Choice.objects.filter(mentee__in=parts).update(note="")


def _matching_export(user):
    from equimentor.matching.models import Proposal

    parts = list(_participations(user))
    as_mentee = rows(Proposal.objects.filter(mentee__in=parts), exclude=("mentor_note",))
    as_mentor = rows(Proposal.objects.filter(mentor__in=parts), exclude=("mentee_note",))
    return {"proposals_as_mentee": as_mentee, "proposals_as_mentor": as_mentor}


def _matching_erase(user):
    from equimentor.matching.models import Proposal

    parts = list(_participations(user))
    return Proposal.objects.filter(mentee__in=parts).update(mentee_note="") + (
        Proposal.objects.filter(mentor__in=parts).update(mentor_note="")
    )


# -- relationships -------------------------------------------------------------------------------


def _relationships_export(user):
    from equimentor.relationships.models import (
        CheckIn,
        Goal,
        Meeting,
        Membership,
        Milestone,
        PrivateNote,
        SponsorshipAct,
    )

    parts = list(_participations(user))
    members = Membership.objects.filter(participant__in=parts)
    rel_ids = list(members.values_list("relationship_id", flat=True))
    return {
        "memberships": rows(members),
        "meetings": rows(Meeting.objects.filter(relationship_id__in=rel_ids)),
        "goals": rows(Goal.objects.filter(owner__in=parts)),
        "milestones": rows(Milestone.objects.filter(participant__in=parts)),
        "sponsorship_given": rows(SponsorshipAct.objects.filter(mentor__in=parts)),
        "sponsorship_received": rows(SponsorshipAct.objects.filter(mentee__in=parts)),
        "check_ins": rows(CheckIn.objects.filter(participant__in=parts)),
        # Their own private notes only; never anyone else's.
        "private_notes": rows(PrivateNote.objects.filter(author=user)),
    }


def _relationships_erase(user):
    from equimentor.relationships import services as rel_services
    from equimentor.relationships.models import (
        Goal,
        GoalReview,
        Membership,
        Milestone,
        PrivateNote,
        Relationship,
        SponsorshipAct,
    )

    parts = list(_participations(user))
    n = PrivateNote.objects.filter(author=user).delete()[0]
    n += Goal.objects.filter(owner__in=parts).update(title="(erased)", detail="")
    n += GoalReview.objects.filter(by__in=parts).update(note="")
    n += Milestone.objects.filter(participant__in=parts).update(title="(erased)")
    n += SponsorshipAct.objects.filter(mentor__in=parts).update(description="")
    n += SponsorshipAct.objects.filter(mentee__in=parts).update(description="")
    open_rels = Relationship.objects.filter(
        state__in=Relationship.OPEN_STATES,
        memberships__participant__in=parts,
        memberships__left_at__isnull=True,
    ).distinct()
    for rel in open_rels:
        rel_services.close(rel, reason=Relationship.CloseReason.WITHDRAWN, actor=None)
        n += 1
    Membership.objects.filter(participant__in=parts)  # memberships stay: they are counted
    return n


# -- training ------------------------------------------------------------------------------------


def _training_export(user):
    from equimentor.training.models import CalendarFeed, FeedbackInvitation, Registration

    parts = _participations(user)
    return {
        "session_registrations": rows(Registration.objects.filter(participant__in=parts)),
        # whether they were asked and answered; the answers are anonymous and not theirs to find
        "session_feedback_requests": rows(
            FeedbackInvitation.objects.filter(registration__participant__in=parts)
        ),
        "calendar_feed": rows(CalendarFeed.objects.filter(user=user)),  # never the token
    }


def _training_erase(user):
    """The calendar feed is deleted; places at sessions still to come are given up (to the
    waiting lists, without emailing the person); past registrations stay, counted in the reports
    under the anonymised participation."""
    from equimentor.training import services as training
    from equimentor.training.models import CalendarFeed

    n = CalendarFeed.objects.filter(user=user).delete()[0]
    return n + sum(
        training.end_registrations(p, actor=None, notify=False) for p in _participations(user)
    )


# -- safeguarding --------------------------------------------------------------------------------


def _safeguarding_export(user):
    from equimentor.safeguarding.models import Case, CaseEntry, LeavingReason

    raised = []
    for case in Case.objects.filter(reporter=user, is_anonymous=False):
        raised.append(
            {
                "case": case.pk,
                "category": case.category,
                "what_happened": case.what_happened,
                "wants": case.wants,
                "status": case.status,
                "received_on": case.received_on.isoformat(),
                "messages": [
                    {"kind": e.kind, "body": e.body, "at": e.at.isoformat()}
                    for e in case.entries.filter(kind__in=CaseEntry.VISIBLE_TO_REPORTER)
                ],
            }
        )
    return {
        "concerns_raised": raised,
        "leaving_reasons": rows(LeavingReason.objects.filter(participant__user=user)),
    }


def _safeguarding_erase(user):
    from equimentor.safeguarding.models import Case, LeavingReason

    n = Case.objects.filter(reporter=user).update(reporter=None)
    return n + LeavingReason.objects.filter(participant__user=user).update(reason="")


# -- audit trail ---------------------------------------------------------------------------------


def _audit_export(user):
    from equimentor.core.models import AuditEvent

    return [
        {"at": e.at.isoformat(), "action": e.action, "object_type": e.object_type}
        for e in AuditEvent.objects.filter(actor=user)
    ]


def _audit_erase(user, personal: tuple[str, ...] = ()):
    """Blank any of the person's details found in the trail; the events themselves stay."""
    from equimentor.core.models import AuditEvent

    n = 0
    needles = [p.lower() for p in personal if p]
    if not needles:
        return 0
    for e in AuditEvent.objects.filter(actor=user).iterator():
        changed = False
        for k, v in list(e.data.items()):
            if isinstance(v, str) and any(x in v.lower() for x in needles):
                e.data[k] = "(erased)"
                changed = True
        if changed:
            e.save(update_fields=["data"])
            n += 1
    return n


# -- emails --------------------------------------------------------------------------------------


def _emails_export(user):
    from equimentor.core.models import OutgoingEmail

    return [
        {"at": e.created_at.isoformat(), "subject": e.subject, "status": e.status}
        for e in OutgoingEmail.objects.filter(to__iexact=user.email).order_by("created_at")
    ]


def _emails_erase(user):
    """The outbox's record of emails to the person goes (it holds their address)."""
    from equimentor.core.models import OutgoingEmail

    return OutgoingEmail.objects.filter(to__iexact=user.email).delete()[0]


SHREDDERS = [
    Shredder("identity", _identity_export, _identity_erase),
    Shredder("enrolment", _enrolment_export, _enrolment_erase),
    Shredder("directory", _directory_export, _directory_erase),
    Shredder("matching", _matching_export, _matching_erase),
    Shredder("relationships", _relationships_export, _relationships_erase),
    Shredder("training", _training_export, _training_erase),
    Shredder("safeguarding", _safeguarding_export, _safeguarding_erase),
    Shredder("audit", _audit_export, _audit_erase),
    Shredder("emails", _emails_export, _emails_erase),
    Shredder("account", _accounts_export, _accounts_erase),  # last: others match on the address
]
