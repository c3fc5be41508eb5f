"""Saving and erasing identity answers. Erasure is immediate and complete."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from equimentor.core import audit
from equimentor.enrolment.consents import give_consent, has_consent, withdraw_consent
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT

USES = (Consent.Purpose.IDENTITY_MATCHING, Consent.Purpose.IDENTITY_REPORTS)


@dataclass(frozen=True)
class Answer:
    value: str = ""
    self_description: str = ""
    show_on_profile: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.value and not self.self_description


PREFER_NOT_OR_DESCRIBE = (
    "Choose “Prefer not to say” or describe yourself in your own words, not both."
)


class IdentityError(ValueError):
    """Answers that cannot be saved as given, with a message fit to show the person."""


def prefers_not_but_describes(value: str, self_description: str) -> bool:
    return value == PREFER_NOT and bool((self_description or "").strip())


def check_answers(answers: dict[str, Answer]) -> None:
    """Refuse an answer that both prefers not to say and describes (names questions only)."""
    for code, answer in answers.items():
        if prefers_not_but_describes(answer.value, answer.self_description):
            label = DIMENSIONS[code].label if code in DIMENSIONS else code
            raise IdentityError(f"{label}: {PREFER_NOT_OR_DESCRIBE}")


def identity_uses(participant: Participant) -> dict[str, bool]:
    return {purpose: has_consent(participant, purpose) for purpose in USES}


@transaction.atomic
def save_identity(
    participant: Participant, answers: dict[str, Answer], uses: dict[str, bool], *, actor
) -> None:
    """Store ``answers`` and the consents for their uses.

    With no use consented, nothing is stored and any earlier answers are erased. An answer that
    is both "prefer not to say" and a self-description raises :class:`IdentityError`.
    """
    check_answers(answers)
    privacy = participant.scheme.current_documents().get("privacy_notice")
    for purpose in USES:
        wanted, held = uses.get(purpose, False), has_consent(participant, purpose)
        if wanted and not held:
            give_consent(participant, purpose, privacy, actor=actor)
        elif held and not wanted:
            withdraw_consent(participant, purpose, actor=actor)
    if not any(uses.get(p, False) for p in USES):
        erase_identity(participant, actor=actor)
        return
    asked = set(participant.scheme.identity_dimensions)
    changed = []
    for code, answer in answers.items():
        if code not in asked:
            continue
        if answer.is_empty:
            if participant.identity_answers.filter(dimension=code).delete()[0]:
                changed.append(code)
            continue
        IdentityAnswer.objects.update_or_create(
            participant=participant,
            dimension=code,
            defaults={
                "value": answer.value,
                "self_description": answer.self_description,
                "show_on_profile": answer.show_on_profile and participant.is_mentor,
            },
        )
        changed.append(code)
    if changed:
        # The audit names which questions changed, never the answers.
        audit.record(
            "identity.answers.saved",
            participant,
            actor=actor,
            scheme=participant.scheme,
            dimensions=sorted(changed),
        )


@transaction.atomic
def erase_identity(participant: Participant, *, actor) -> int:
    """Delete every identity answer of this participation at once."""
    count, _ = participant.identity_answers.all().delete()
    if count:
        audit.record(
            "identity.answers.erased",
            participant,
            actor=actor,
            scheme=participant.scheme,
            count=count,
        )
    return count


@transaction.atomic
def withdraw_identity_consent(participant: Participant, *, actor) -> None:
    for purpose in USES:
        withdraw_consent(participant, purpose, actor=actor)
    erase_identity(participant, actor=actor)
