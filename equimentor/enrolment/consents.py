"""Giving and withdrawing consent, always against the current document version."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.enrolment.models import Consent, Participant
from equimentor.schemes.models import SchemeDocument


class ConsentError(Exception):
    """Consent cannot be recorded as asked (for example, the document is not published)."""


def current_consents(participant: Participant) -> dict[str, Consent]:
    """The consent in force for each purpose (the latest one not withdrawn)."""
    held: dict[str, Consent] = {}
    for consent in participant.consents.filter(withdrawn_at__isnull=True).select_related(
        "document"
    ):
        held[consent.purpose] = consent
    return held


def has_consent(participant: Participant, purpose: str) -> bool:
    return participant.consents.filter(purpose=purpose, withdrawn_at__isnull=True).exists()


@transaction.atomic
def give_consent(
    participant: Participant, purpose: str, document: SchemeDocument, *, actor
) -> Consent:
    """Record consent to ``purpose`` against exactly ``document`` (which must be current)."""
    expected_kind = Consent.DOCUMENT_FOR_PURPOSE[Consent.Purpose(purpose)]
    if document.kind != expected_kind or document.scheme_id != participant.scheme_id:
        raise ConsentError("That document does not belong to this consent.")
    if not document.is_published:
        raise ConsentError("Consent can only be given to a published document.")
    now = timezone.now()
    participant.consents.filter(purpose=purpose, withdrawn_at__isnull=True).update(withdrawn_at=now)
    consent = Consent.objects.create(
        participant=participant, purpose=purpose, document=document, given_at=now
    )
    audit.record(
        "enrolment.consent.given",
        consent,
        actor=actor,
        scheme=participant.scheme,
        purpose=purpose,
        document_kind=document.kind,
        document_version=document.version,
        participant_id=participant.pk,
    )
    return consent


@transaction.atomic
def withdraw_consent(participant: Participant, purpose: str, *, actor) -> bool:
    """Withdraw consent to ``purpose``; return whether there was one to withdraw."""
    now = timezone.now()
    consents = list(
        participant.consents.select_for_update().filter(purpose=purpose, withdrawn_at__isnull=True)
    )
    for consent in consents:
        consent.withdrawn_at = now
        consent.save(update_fields=["withdrawn_at"])
        audit.record(
            "enrolment.consent.withdrawn",
            consent,
            actor=actor,
            scheme=participant.scheme,
            purpose=purpose,
            participant_id=participant.pk,
        )
    return bool(consents)
