"""Raising concerns and handling cases. Every change is one transaction with one audit event.

Audit events about cases carry no scheme (so no scheme-wide history ever lists them), only ids and
statuses, and raising a concern never records its reporter as the actor.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from equimentor.core import audit
from equimentor.enrolment.models import Participant
from equimentor.lib.tokens import digest
from equimentor.relationships import services as rel_services
from equimentor.relationships.models import Membership, Relationship, pairs_among
from equimentor.safeguarding import emails
from equimentor.safeguarding.models import (
    Case,
    CaseEntry,
    ContactRoute,
    LeavingReason,
    PairBlock,
    Suspension,
)
from equimentor.schemes.models import StaffRole

KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I
MIN_PASSPHRASE = 10


class SafeguardingError(Exception):
    """Something a person can put right, with a message for them."""


def new_case_key() -> str:
    raw = "".join(secrets.choice(KEY_ALPHABET) for _ in range(20))
    return _grouped(raw)


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def canonical_case_key(typed: str) -> str:
    """A case key as it was issued, however the reporter wrote it down.

    Spaces, dashes and other separators are ignored and letters may be lower case
    ("3ca5 733l ..." is "3CA5-733L-..."); the key has no 0/O or 1/I to confuse.
    """
    raw = "".join(ch for ch in typed.upper() if ch.isalnum())
    return _grouped(raw)


@dataclass
class Concern:
    category: str
    what_happened: str
    wants: str
    anonymous: bool = False
    passphrase: str = ""
    relationship: Relationship | None = None
    subject: object | None = None  # a User


def _excluded_users(scheme, concern: Concern) -> set[int]:
    ids = set()
    if concern.subject is not None:
        ids.add(concern.subject.pk)
    if concern.relationship is not None:
        ids |= set(
            Membership.objects.filter(relationship=concern.relationship).values_list(
                "participant__user_id", flat=True
            )
        )
    return ids


def leads_for(case: Case):
    """The scheme's safeguarding leads who may see this case."""
    return (
        StaffRole.objects.filter(scheme_id=case.scheme_id, role=StaffRole.Role.SAFEGUARDING)
        .exclude(user__in=case.excluded.all())
        .filter(user__is_active=True)
        .select_related("user")
    )


@transaction.atomic
def raise_concern(reporter, scheme, concern: Concern) -> tuple[Case, str]:
    """Open a case. Returns ``(case, key)``; ``key`` is empty unless the concern is anonymous.

    An anonymous case stores no user, address or browser details: only the hashes of its key and
    passphrase.
    """
    if concern.category not in Case.Category.values:
        raise SafeguardingError("Choose what kind of concern this is.")
    if concern.wants not in Case.Wants.values:
        raise SafeguardingError("Choose what you would like to happen.")
    if not concern.what_happened.strip():
        raise SafeguardingError("Tell us what happened.")
    if concern.relationship is not None and concern.relationship.scheme_id != scheme.pk:
        raise SafeguardingError("That relationship is not in this scheme.")
    key = ""
    case = Case(
        scheme=scheme,
        category=concern.category,
        what_happened=concern.what_happened.strip(),
        wants=concern.wants,
        relationship=concern.relationship,
        subject=concern.subject,
    )
    if concern.anonymous:
        if len(concern.passphrase) < MIN_PASSPHRASE:
            raise SafeguardingError(
                f"Choose a passphrase of at least {MIN_PASSPHRASE} characters to follow up."
            )
        key = new_case_key()
        case.is_anonymous = True
        case.key_hash = digest(key)
        case.passphrase_hash = make_password(concern.passphrase)
    else:
        case.reporter = reporter
    case.save()
    case.excluded.set(_excluded_users(scheme, concern))
    audit.record("safeguarding.case.raised", case, actor=None, category=case.category)
    emails.new_concern(case, leads_for(case))
    return case, key


def _entry(case: Case, kind: str, body: str = "", *, author=None) -> CaseEntry:
    return CaseEntry.objects.create(case=case, kind=kind, body=body, author=author)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def allowed_statuses(current: str) -> list[str]:
    """The statuses ``set_status`` accepts for a case in ``current``, in order of progression.

    A case moves forward only, and may skip steps, so this is every later status: the first is the
    next step, and a closed case has none.
    """
    if current not in Case.ORDER:
        return []
    return Case.ORDER[Case.ORDER.index(current) + 1 :]


@transaction.atomic
def set_status(case: Case, status: str, *, actor) -> Case:
    """Move a case forward: received → acknowledged → assessing → action taken → closed."""
    case = _lock(case)
    if status not in allowed_statuses(case.status):
        raise SafeguardingError("A case moves forward only: choose a later status.")
    now = timezone.now()
    fields = ["status"]
    case.status = status
    if case.acknowledged_at is None:
        case.acknowledged_at = now
        fields.append("acknowledged_at")
    if status in (Case.Status.ACTION_TAKEN, Case.Status.CLOSED) and case.feedback_at is None:
        case.feedback_at = now
        fields.append("feedback_at")
    if status == Case.Status.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    case.save(update_fields=fields)
    _entry(case, CaseEntry.Kind.STATUS, case.get_status_display(), author=actor)
    audit.record("safeguarding.case.status", case, actor=actor, status=status)
    emails.update_for_reporter(case)
    return case


@transaction.atomic
def add_note(case: Case, body: str, *, actor) -> CaseEntry:
    if not body.strip():
        raise SafeguardingError("Write the note.")
    entry = _entry(case, CaseEntry.Kind.NOTE, body.strip(), author=actor)
    audit.record("safeguarding.case.note", case, actor=actor, entry_id=entry.pk)
    return entry


@transaction.atomic
def message_reporter(case: Case, body: str, *, actor) -> CaseEntry:
    """A message the reporter reads; counts as feedback once the case is acknowledged."""
    if not body.strip():
        raise SafeguardingError("Write the message.")
    case = _lock(case)
    entry = _entry(case, CaseEntry.Kind.TO_REPORTER, body.strip(), author=actor)
    if case.acknowledged_at is None:
        case.acknowledged_at = timezone.now()
        if case.status == Case.Status.RECEIVED:
            case.status = Case.Status.ACKNOWLEDGED
        case.save(update_fields=["acknowledged_at", "status"])
    elif case.feedback_at is None:
        case.feedback_at = timezone.now()
        case.save(update_fields=["feedback_at"])
    audit.record("safeguarding.case.message_sent", case, actor=actor, entry_id=entry.pk)
    emails.update_for_reporter(case)
    return entry


@transaction.atomic
def reporter_message(case: Case, body: str) -> CaseEntry:
    """A message from the reporter (named or anonymous): never records who or where from."""
    if not body.strip():
        raise SafeguardingError("Write your message.")
    if case.status == Case.Status.CLOSED:
        raise SafeguardingError("This case is closed. Please raise a new concern.")
    entry = _entry(case, CaseEntry.Kind.FROM_REPORTER, body.strip())
    audit.record("safeguarding.case.message_received", case, actor=None, entry_id=entry.pk)
    emails.case_update(case, leads_for(case))
    return entry


# -- actions --------------------------------------------------------------------------------------

ACTIONS = {
    "pause": "Pause the relationship quietly",
    "end": "End the relationship as no-fault",
    "block": "Block the pair from any future matching",
    "suspend": "Suspend the person concerned from the scheme",
    "lift": "Lift the suspension of the person concerned",
    "signpost": "Signpost the reporter to a formal route",
}


def _rel_services():
    # Through the module's public names only (the module is being reorganised).

    return rel_services


def _pairs(rel: Relationship) -> list[tuple[Participant, Participant]]:
    members = Membership.objects.filter(relationship=rel).select_related("participant")
    return [(e.participant, o.participant) for e, o in pairs_among(members)]


def block_pair(scheme, mentee: Participant, mentor: Participant, *, case=None) -> bool:
    _, created = PairBlock.objects.get_or_create(
        mentee=mentee, mentor=mentor, defaults={"scheme": scheme, "case": case}
    )
    return created


@transaction.atomic
def take_action(case: Case, action: str, *, actor, route: ContactRoute | None = None) -> str:
    """Carry out one action on a case and log it; returns what was done, for the lead."""
    rel_services = _rel_services()
    rel = case.relationship
    if action in ("pause", "end", "block") and rel is None:
        raise SafeguardingError("This concern is not about a relationship.")
    if action == "pause":
        try:
            # Quietly: the members hear only that it is paused; no actor is shown to them.
            rel_services.pause(rel, reason=Relationship.PauseReason.OTHER, actor=None)
        except rel_services.RelationshipError as exc:
            raise SafeguardingError(str(exc)) from exc
        done = "Relationship paused"
    elif action == "end":
        try:
            rel_services.close(rel, reason=Relationship.CloseReason.NO_FAULT, actor=None)
        except rel_services.RelationshipError as exc:
            raise SafeguardingError(str(exc)) from exc
        done = "Relationship ended as no-fault"
    elif action == "block":
        made = sum(block_pair(case.scheme, e, o, case=case) for e, o in _pairs(rel))
        done = f"Pair blocked from future matching ({made} new block(s))"
    elif action == "suspend":
        participant = _subject_participant(case)
        Suspension.objects.get_or_create(
            participant=participant, lifted_at=None, defaults={"case": case}
        )
        done = "Participant suspended from the scheme"
    elif action == "lift":
        participant = _subject_participant(case)
        lifted = Suspension.objects.filter(participant=participant, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        if not lifted:
            raise SafeguardingError("The person concerned is not suspended.")
        done = "Suspension lifted: the participant can be matched again"
    elif action == "signpost":
        if route is None or route.scheme_id != case.scheme_id:
            raise SafeguardingError("Choose one of the scheme's formal routes.")
        message_reporter(
            case,
            f"You can also take this to a formal route: {route.name}. {route.details}",
            actor=actor,
        )
        done = f"Signposted to {route.name}"
    else:
        raise SafeguardingError("Unknown action.")
    _entry(case, CaseEntry.Kind.ACTION, done, author=actor)
    audit.record("safeguarding.case.action", case, actor=actor, done=action)
    return done


def _subject_participant(case: Case) -> Participant:
    participant = (
        Participant.objects.filter(user=case.subject, scheme=case.scheme).first()
        if case.subject_id
        else None
    )
    if participant is None:
        raise SafeguardingError("This concern does not name a participant of the scheme.")
    return participant


def active_suspension(case: Case) -> Suspension | None:
    """The suspension in force of the person a case is about, if any (for the lead's page)."""
    if not case.subject_id:
        return None
    return (
        Suspension.objects.filter(
            participant__user_id=case.subject_id,
            participant__scheme_id=case.scheme_id,
            lifted_at__isnull=True,
        )
        .order_by("created_at")
        .first()
    )


def never_again_pairs(scheme, *, told_only: bool = False) -> set[tuple[int, int]]:
    """Safeguarding's part of ``pairing.exclusions.never_again``: its blocks and suspensions,
    which a mentee is never told of (none when ``told_only``)."""
    return set() if told_only else blocked_pairs(scheme)


def blocked_pairs(scheme) -> set[tuple[int, int]]:
    """(mentee_id, mentor_id) pairs never to be matched: blocks, and anyone suspended."""
    pairs = set(PairBlock.objects.filter(scheme=scheme).values_list("mentee_id", "mentor_id"))
    suspended = set(
        Suspension.objects.filter(participant__scheme=scheme, lifted_at__isnull=True).values_list(
            "participant_id", flat=True
        )
    )
    if suspended:
        people = Participant.objects.filter(scheme=scheme).values_list(
            "pk", "is_mentee", "is_mentor"
        )
        mentees = [pk for pk, is_mentee, _ in people if is_mentee]
        mentors = [pk for pk, _, is_mentor in people if is_mentor]
        pairs |= {(e, o) for e in mentees for o in mentors if e in suspended or o in suspended}
    return pairs


@transaction.atomic
def leave_without_fault(
    rel: Relationship, member: Membership, *, reason: str, never_again: bool, actor
):
    """A member ends the relationship without fault; an optional reason goes to coordinators only.

    The others are told neutrally (the relationship services' own email) and never see the reason.
    """
    rel_services = _rel_services()
    try:
        rel_services.close(
            rel,
            reason=Relationship.CloseReason.NO_FAULT,
            member=member,
            never_again=never_again,
            actor=actor,
        )
    except rel_services.RelationshipError as exc:
        raise SafeguardingError(str(exc)) from exc
    if reason.strip():
        note = LeavingReason.objects.create(
            relationship=rel,
            participant=member.participant,
            reason=reason.strip(),
            never_again=never_again,
        )
        audit.record(
            "safeguarding.leaving_reason.given",
            note,
            actor=actor,
            scheme=rel.scheme,
            relationship_id=rel.pk,
        )
    return rel


@transaction.atomic
def save_route(scheme, *, name: str, details: str, actor, route: ContactRoute | None = None):
    route = route or ContactRoute(scheme=scheme)
    route.name, route.details = name, details
    route.save()
    audit.record("safeguarding.route.saved", route, actor=actor, scheme=scheme)
    return route


@transaction.atomic
def delete_route(route: ContactRoute, *, actor) -> None:
    audit.record("safeguarding.route.deleted", route, actor=actor, scheme=route.scheme)
    route.delete()
