"""Private check-ins and the flags they (and the scheduler) raise for the coordinator."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.relationships.models import CheckIn, Flag
from equimentor.relationships.services.base import RelationshipError

# -- check-ins and flags ---------------------------------------------------------------------------


def raise_flag(scheme, kind: str, key: str, *, relationship=None, participant=None, proposal=None):
    """Flag something for the coordinator once (the key is unique). Returns the flag or None."""
    if Flag.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                scheme=scheme,
                kind=kind,
                key=key,
                relationship=relationship,
                participant=participant,
                proposal=proposal,
                created_at=timezone.now(),
            )
    except IntegrityError:
        return None
    audit.record("relationships.flag.raised", flag, actor=None, scheme=scheme, kind=kind)
    return flag


@transaction.atomic
def resolve_flag(flag: Flag, *, actor) -> Flag:
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if flag.resolved_at is not None:
        raise RelationshipError("This flag has already been dealt with.")
    flag.resolved_at = timezone.now()
    flag.resolved_by = actor
    flag.save(update_fields=["resolved_at", "resolved_by"])
    audit.record(
        "relationships.flag.resolved", flag, actor=actor, scheme=flag.scheme, kind=flag.kind
    )
    return flag


@transaction.atomic
def answer_check_in(check_in: CheckIn, user, *, rating: int, wants_contact: bool, actor) -> CheckIn:
    """A private answer. Low ratings (2 or less) or asking for contact flag the relationship for
    the coordinator; nobody else in the relationship learns anything."""
    check_in = (
        CheckIn.objects.select_for_update()
        .select_related("participant", "relationship__scheme")
        .get(pk=check_in.pk)
    )
    if check_in.participant.user_id != user.pk:
        raise RelationshipError("This check-in is not yours.")
    if check_in.answered_at is not None:
        raise RelationshipError("You have already answered this check-in. Thank you.")
    if rating not in (1, 2, 3, 4, 5):
        raise RelationshipError("Choose how it is going, from 1 to 5.")
    check_in.rating = rating
    check_in.wants_contact = wants_contact
    check_in.answered_at = timezone.now()
    check_in.save(update_fields=["rating", "wants_contact", "answered_at"])
    rel = check_in.relationship
    flagged = rating <= 2 or wants_contact
    audit.record(
        "relationships.check_in.answered",
        check_in,
        actor=actor,
        scheme=rel.scheme,
        relationship_id=rel.pk,
        flagged=flagged,
    )
    if rating <= 2:
        raise_flag(
            rel.scheme,
            Flag.Kind.LOW_CHECK_IN,
            f"check-in-low:{check_in.pk}",
            relationship=rel,
            participant=check_in.participant,
        )
    if wants_contact:
        raise_flag(
            rel.scheme,
            Flag.Kind.CONTACT_REQUESTED,
            f"check-in-contact:{check_in.pk}",
            relationship=rel,
            participant=check_in.participant,
        )
    return check_in
