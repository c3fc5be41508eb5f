"""Enrolment's part of erasure: expressions of interest and participations (see
``core.erasure``). Participations stay, anonymised, because the reports count them."""

from __future__ import annotations

from django.utils import timezone

from equimentor.core import erasure
from equimentor.enrolment.models import Consent, ExpressionOfInterest, Participant

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


def _export(user):
    parts = Participant.objects.filter(user=user)
    return {
        "participations": erasure.rows(parts),
        "consents": erasure.rows(Consent.objects.filter(participant__in=parts)),
        "expressions_of_interest": erasure.rows(
            ExpressionOfInterest.objects.filter(email__iexact=user.email)
        ),
    }


def _erase(person: erasure.Person) -> int:
    user = person.user
    n = ExpressionOfInterest.objects.filter(email__iexact=person.email).update(
        email=erasure.erased_email(user), name="", institution_other=""
    )
    now = timezone.now()
    for p in Participant.objects.filter(user=user):
        for f in PROFILE_TEXT:
            setattr(p, f, "")
        if p.status not in (Participant.Status.WITHDRAWN, Participant.Status.DECLINED):
            p.status = Participant.Status.WITHDRAWN
            p.withdrawn_at = now
        p.save()
        n += 1
    return n


SHREDDER = erasure.Shredder(
    name="enrolment",
    order=20,
    covers=(
        erasure.Covers(
            ExpressionOfInterest,
            erased="email name institution_other",
        ),
        erasure.Covers(
            Participant,
            erased=PROFILE_TEXT,
            kept={
                "user": "the participation stays, anonymised, counted in the reports",
                "status": "counted in the reports (set to withdrawn)",
                "pathway meeting_mode": "coded values counted in the reports",
            },
        ),
        erasure.Covers(
            Consent,
            kept={"participant purpose": "what was consented to and when, the record of consent"},
        ),
    ),
    erase=_erase,
    export=_export,
)
