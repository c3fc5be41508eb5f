"""Enrolment's part of erasure (see ``core.erasure``). Participations stay, anonymised, because
the reports count them; her expressions of interest keep their scheme, institution and dates."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from equimentor.core import erasure
from equimentor.enrolment.imports import ImportFileError, read_table
from equimentor.enrolment.models import (
    Consent,
    ExpressionOfInterest,
    ImportInvite,
    Participant,
    ParticipantImport,
    RegistrationInvite,
)

PROFILE_TEXT = (
    "job_title",
    "institution_other",
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


def _names_her(person: erasure.Person, upload: ParticipantImport) -> bool:
    try:
        headers, table = read_table(bytes(upload.content), upload.filename)
    except ImportFileError:
        return True  # unreadable: nothing shows it does not name her, and it goes in a day anyway
    marks = [m.lower() for m in person.markers]
    return any(m in cell.lower() for row in [headers, *table] for cell in row for m in marks)


def _erase(person: erasure.Person) -> int:
    user = person.user
    expressions = ExpressionOfInterest.objects.filter(email__iexact=person.email)
    parts = Participant.objects.filter(user=user)
    # single-use links to register, rejoin or take up an imported place
    n = RegistrationInvite.objects.filter(
        Q(expression__in=expressions) | Q(participant__in=parts)
    ).delete()[0]
    n += ImportInvite.objects.filter(participant__in=parts).delete()[0]
    n += expressions.update(email=erasure.erased_email(user), name="", institution_other="")
    now = timezone.now()
    for p in parts:
        for f in PROFILE_TEXT:
            setattr(p, f, "")
        if p.status not in (Participant.Status.WITHDRAWN, Participant.Status.DECLINED):
            p.status = Participant.Status.WITHDRAWN
            p.withdrawn_at = now
        p.save()
        n += 1
    # spreadsheets uploaded and not yet imported that list her: they go (the coordinator uploads
    # again); the retention job deletes every upload after a day anyway
    for upload in ParticipantImport.objects.all():
        if _names_her(person, upload):
            upload.delete()
            n += 1
    n += person.scrub_rows(ParticipantImport.objects.all(), ["filename"])
    return n


SHREDDER = erasure.Shredder(
    name="enrolment",
    order=20,
    covers=(
        erasure.Covers(ExpressionOfInterest, erased="email name institution_other"),
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
        erasure.Covers(
            RegistrationInvite,
            deleted="links to register or rejoin sent to her",
            kept={"purpose participant": "other people's invitations"},
        ),
        erasure.Covers(ImportInvite, deleted="links to take up her imported place"),
        erasure.Covers(
            ParticipantImport,
            deleted="uploads not yet imported that list her",
            erased="filename",
            kept={
                "created_by": "who uploaded (staff), pointing at the anonymised account",
                "headers mapping": "other uploads' column headings and how they map",
            },
        ),
    ),
    erase=_erase,
    export=_export,
)
