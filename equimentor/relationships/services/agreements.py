"""The mentoring agreement: versions saved by members, confirmed by everyone; confirming the latest
version can complete the trial."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.relationships.models import (
    AgreementConfirmation,
    AgreementVersion,
    Membership,
    Relationship,
)
from equimentor.relationships.services.base import (
    RelationshipError,
    State,
    current_member,
    lock_relationship,
    move_to,
    require_open,
    touch,
)

# -- agreement -------------------------------------------------------------------------------------

AGREEMENT_FIELDS = (
    "frequency",
    "mode",
    "topics",
    "outputs",
    "confidentiality",
    "duration",
    "ending",
)


def default_agreement(rel: Relationship) -> dict[str, str]:
    """The scheme's template agreement, pre-filled for this relationship."""
    scheme = rel.scheme
    return {
        "frequency": AgreementVersion.Frequency.MONTHLY,
        "mode": (
            AgreementVersion.Mode.VIRTUAL
            if scheme.different_institutions or rel.kind != Relationship.Kind.ONE_TO_ONE
            else AgreementVersion.Mode.MIXED
        ),
        "topics": (
            "What the mentee wants to work on (for example career planning, fellowships and "
            "grants, publishing, leadership, navigating the institution), and what each of us "
            "expects of the other: the mentee usually sets the agenda; both come prepared and "
            "let each other know in good time if a meeting must move."
        ),
        "outputs": "For example: a career plan, a fellowship application, a paper submitted.",
        "confidentiality": (
            "What we discuss stays between us, unless someone is at risk of harm. We follow the "
            f"{scheme.name} confidentiality agreement and code of conduct."
        ),
        "duration": (
            f"{scheme.relationship_months} months, from {rel.start_date:%-d %B %Y} to "
            f"{rel.end_date:%-d %B %Y}, extendable if we both agree."
        ),
        "ending": (
            "Either of us can end the mentoring at any time without giving a reason and without "
            "fault, through Equimentor. The other is told only that it will not continue."
        ),
    }


def latest_agreement(rel: Relationship) -> AgreementVersion | None:
    return rel.agreement_versions.order_by("-number").first()


@transaction.atomic
def save_agreement(rel: Relationship, member: Membership, data: dict, *, actor) -> AgreementVersion:
    """Save an edit as a new version; earlier versions and their confirmations are kept."""
    rel = lock_relationship(rel)
    require_open(rel, "change the agreement")
    member = current_member(rel, member)
    values = {f: (data.get(f) or "").strip() for f in AGREEMENT_FIELDS}
    missing = [f for f, v in values.items() if not v]
    if missing:
        raise RelationshipError("Every part of the agreement needs an answer.")
    latest = latest_agreement(rel)
    if latest is not None and all(getattr(latest, f) == v for f, v in values.items()):
        raise RelationshipError("Nothing has changed since the last version.")
    version = AgreementVersion.objects.create(
        relationship=rel,
        number=(latest.number + 1) if latest else 1,
        saved_by=member.participant,
        saved_at=timezone.now(),
        **values,
    )
    touch(rel)
    audit.record(
        "relationships.agreement.saved",
        version,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        number=version.number,
    )
    return version


@transaction.atomic
def confirm_agreement(
    rel: Relationship, member: Membership, version: AgreementVersion, *, actor
) -> AgreementConfirmation:
    rel = lock_relationship(rel)
    require_open(rel, "confirm the agreement")
    member = current_member(rel, member)
    latest = latest_agreement(rel)
    if version.relationship_id != rel.pk or latest is None:
        raise RelationshipError("No such agreement version in this relationship.")
    if version.pk != latest.pk:
        raise RelationshipError(
            f"Version {latest.number} has been saved since; read it and confirm that one."
        )
    confirmation, created = AgreementConfirmation.objects.get_or_create(
        version=version,
        participant=member.participant,
        defaults={"confirmed_at": timezone.now()},
    )
    if not created:
        raise RelationshipError("You have already confirmed this version.")
    touch(rel)
    audit.record(
        "relationships.agreement.confirmed",
        version,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        number=version.number,
    )
    maybe_activate(rel, actor=actor)
    return confirmation


def agreement_confirmed_by_all(rel: Relationship) -> bool:
    latest = latest_agreement(rel)
    if latest is None:
        return False
    confirmed = set(latest.confirmations.values_list("participant_id", flat=True))
    return all(m.participant_id in confirmed for m in rel.active_members())


def maybe_activate(rel: Relationship, *, actor) -> None:
    if rel.state != State.TRIAL:
        return
    members = rel.active_members()
    if not all(m.trial_decision == Membership.TrialDecision.CONTINUE for m in members):
        return
    if not agreement_confirmed_by_all(rel):
        return
    rel.activated_at = timezone.now()
    move_to(rel, State.ACTIVE, fields=["activated_at"])
    audit.record("relationships.relationship.activated", rel, actor=actor, scheme=rel.scheme)
