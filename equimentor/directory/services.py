"""Every state change of the directory: listings, a mentee's ranked choices, the shared
characteristics that matter to her, her conflicts of interest, and a mentor's ranking.

Each function runs in a transaction, refuses a request it cannot carry out with a
:class:`DirectoryError` whose message is fit to show the person, and records one audit event
holding ids, ranks and codes only (never notes, names or identity answers).

The matching engine's adapter reads the rows these functions write:

- ``Choice`` (mentee, mentor, rank 1..n, no gaps);
- ``MenteePreference.wants_shared`` — read it through :func:`effective_wants_shared`, which drops
  identity codes once the mentee no longer consents to identity matching;
- ``Conflict`` — a hard "never match this pair";
- ``MentorRanking`` (mentor, mentee, rank 1..n, no gaps), only over mentees who currently chose
  that mentor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from equimentor.core import audit
from equimentor.directory.models import (
    Choice,
    Conflict,
    MenteePreference,
    MentorListing,
    MentorRanking,
)
from equimentor.enrolment.consents import has_consent
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.pairing.exclusions import choices_closed_reason
from equimentor.pairing.gate import MENTEE, MENTOR, is_ready, ready
from equimentor.schemes.dimensions import DIMENSIONS, PREFER_NOT
from equimentor.schemes.models import Scheme

APPROVED = Participant.Status.APPROVED
IDENTITY_MATCHING = Consent.Purpose.IDENTITY_MATCHING

#: Shared characteristics that are not identity data, with their labels.
PROFILE_CHARACTERISTICS = {
    "pathway": "The same career pathway (clinical or non-clinical)",
    "specialty": "The same specialty or department",
}
NOTE_MAX = Choice._meta.get_field("note").max_length
LISTING_FIELDS = (
    "is_published",
    "show_institution",
    "show_department",
    "show_career_summary",
    "show_offers",
)


class DirectoryError(Exception):
    """A request that cannot be carried out, with a message fit to show the person."""


# -- the state of the round ----------------------------------------------------------------------


def choices_are_open(scheme: Scheme) -> bool:
    return not choices_closed_reason(scheme)


def _require_open(scheme: Scheme) -> None:
    reason = choices_closed_reason(scheme)
    if reason:
        raise DirectoryError(reason)


# -- listings ------------------------------------------------------------------------------------


@transaction.atomic
def ensure_listing(participant: Participant, *, actor=None) -> MentorListing | None:
    """The mentor's listing, created published with the default fields shown if missing.

    Does nothing (returns ``None``) for someone who is not an approved mentor: approval
    creates the listing.
    """
    if not participant.is_mentor or participant.status != APPROVED:
        return None
    listing, created = MentorListing.objects.get_or_create(participant=participant)
    if created:
        audit.record(
            "directory.listing.created",
            listing,
            actor=actor,
            scheme=participant.scheme,
            participant_id=participant.pk,
            published=listing.is_published,
        )
    return listing


@transaction.atomic
def update_listing(mentor: Participant, *, actor, **changes: bool) -> MentorListing:
    """Publish or unpublish the listing and choose which profile fields it shows.

    ``changes`` takes any of ``is_published``, ``show_institution``, ``show_department``,
    ``show_career_summary`` and ``show_offers``.
    """
    unknown = set(changes) - set(LISTING_FIELDS)
    if unknown:
        raise ValueError(f"not listing fields: {sorted(unknown)}")
    mentor = _locked(mentor)
    if not mentor.is_mentor or mentor.status != APPROVED:
        raise DirectoryError("Only approved mentors have a listing in the directory.")
    listing = ensure_listing(mentor, actor=actor)
    listing = MentorListing.objects.select_for_update().get(pk=listing.pk)
    changed = sorted(f for f, v in changes.items() if getattr(listing, f) != bool(v))
    if changed:
        for field in changed:
            setattr(listing, field, bool(changes[field]))
        listing.save(update_fields=[*changed, "updated_at"])
        audit.record(
            "directory.listing.updated",
            listing,
            actor=actor,
            scheme=mentor.scheme,
            participant_id=mentor.pk,
            fields=changed,
            published=listing.is_published,
        )
    return listing


# -- checks shared by the choice functions ------------------------------------------------------


def _locked(participant: Participant) -> Participant:
    """Re-read the participation under a row lock: one change at a time per person. Only its
    own row: PostgreSQL refuses FOR UPDATE across the nullable join to the institution."""
    return (
        Participant.objects.select_for_update(of=("self",))
        .select_related("scheme", "institution")
        .get(pk=participant.pk)
    )


def _require_mentee(mentee: Participant) -> None:
    if not mentee.is_mentee or mentee.status != APPROVED:
        raise DirectoryError("Only approved mentees of this scheme can choose mentors.")


def _require_inducted(mentee: Participant) -> None:
    """Where the scheme asks it, a mentee ranks mentors once her required induction is done."""
    if not is_ready(mentee, MENTEE):
        raise DirectoryError(
            "Your scheme asks mentees to complete the required items of the induction pack "
            "before ranking mentors. Your induction page shows what is left."
        )


def _require_mentor(mentor: Participant) -> None:
    if not mentor.is_mentor or mentor.status != APPROVED:
        raise DirectoryError("Only approved mentors of this scheme can rank mentees.")


def _as_id(value) -> int | None:
    if isinstance(value, Participant):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _listed_mentors(scheme: Scheme, ids: Iterable[int]) -> dict[int, Participant]:
    return {
        p.pk: p
        for p in Participant.objects.filter(
            pk__in=list(ids),
            scheme=scheme,
            is_mentor=True,
            status=APPROVED,
            listing__is_published=True,
        )
        .filter(ready(MENTOR))
        .select_related("institution")
    }


def _check_choosable(mentee: Participant, mentor_id: int, listed: dict[int, Participant]) -> None:
    if mentor_id == mentee.pk:
        raise DirectoryError("You cannot choose yourself as your mentor.")
    mentor = listed.get(mentor_id)
    if mentor is None:
        raise DirectoryError(
            "You can only choose approved mentors listed in this scheme's directory."
        )
    if mentee.scheme.different_institutions and mentor.institution_id == mentee.institution_id:
        raise DirectoryError(
            "This scheme pairs mentors and mentees from different institutions, so you cannot "
            "choose a mentor from your own institution."
        )


def _check_no_conflict(mentee: Participant, mentor_ids: Iterable[int]) -> None:
    if Conflict.objects.filter(mentee=mentee, mentor_id__in=list(mentor_ids)).exists():
        raise DirectoryError(
            "You told us you must not be matched with this mentor, so you cannot choose them. "
            "Remove the conflict first if that was a mistake."
        )


def _clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DirectoryError(f"Keep your note to the mentor under {NOTE_MAX} characters.")
    return note


def _too_many(scheme: Scheme) -> DirectoryError:
    n = scheme.max_choices
    return DirectoryError(
        f"You can choose at most {n} mentor{'s' if n != 1 else ''}. Remove one to add another."
    )


def _renumber(mentee: Participant) -> None:
    for rank, choice in enumerate(Choice.objects.filter(mentee=mentee).order_by("rank", "id"), 1):
        if choice.rank != rank:
            choice.rank = rank
            choice.save(update_fields=["rank"])


def _drop_rankings_of_unchosen(mentee: Participant) -> int:
    """Mentors rank only the mentees who chose them: drop stale ranks, close the gaps."""
    chosen = Choice.objects.filter(mentee=mentee).values("mentor_id")
    stale = MentorRanking.objects.filter(mentee=mentee).exclude(mentor_id__in=chosen)
    mentors = list(stale.values_list("mentor_id", flat=True))
    count, _ = stale.delete()
    for mentor_id in mentors:
        rows = MentorRanking.objects.filter(mentor_id=mentor_id).order_by("rank", "id")
        for rank, row in enumerate(rows, 1):
            if row.rank != rank:
                row.rank = rank
                row.save(update_fields=["rank"])
    return count


def _choice_ids(mentee: Participant) -> list[int]:
    return list(
        Choice.objects.filter(mentee=mentee).order_by("rank").values_list("mentor_id", flat=True)
    )


# -- a mentee's choices --------------------------------------------------------------------------


@transaction.atomic
def set_choices(
    mentee: Participant, choices: Sequence[int | tuple[int, str]], *, actor
) -> list[Choice]:
    """Replace the mentee's choices with ``choices``, best first.

    Each item is a mentor's participant id, or ``(mentor id, note to the mentor)``; an empty
    list clears the choices.
    """
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    _require_inducted(mentee)
    wanted: list[tuple[int, str]] = []
    for item in choices:
        mentor, note = item if isinstance(item, tuple | list) else (item, "")
        mentor_id = _as_id(mentor)
        if mentor_id is None:
            raise DirectoryError(
                "You can only choose approved mentors listed in this scheme's directory."
            )
        wanted.append((mentor_id, _clean_note(note)))
    ids = [mentor_id for mentor_id, _ in wanted]
    if len(set(ids)) != len(ids):
        raise DirectoryError("Each mentor can be chosen only once.")
    if len(ids) > mentee.scheme.max_choices:
        raise _too_many(mentee.scheme)
    listed = _listed_mentors(mentee.scheme, ids)
    for mentor_id in ids:
        _check_choosable(mentee, mentor_id, listed)
    _check_no_conflict(mentee, ids)

    Choice.objects.filter(mentee=mentee).delete()
    rows = Choice.objects.bulk_create(
        [
            Choice(mentee=mentee, mentor_id=mentor_id, rank=rank, note=note)
            for rank, (mentor_id, note) in enumerate(wanted, 1)
        ]
    )
    dropped = _drop_rankings_of_unchosen(mentee)
    audit.record(
        "directory.choices.set",
        mentee,
        actor=actor,
        scheme=mentee.scheme,
        mentor_ids=ids,
        rankings_dropped=dropped,
    )
    return rows


@transaction.atomic
def add_choice(mentee: Participant, mentor: Participant | int, *, note: str = "", actor) -> Choice:
    """Add a mentor as the mentee's next (lowest-ranked) choice."""
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    _require_inducted(mentee)
    mentor_id = _as_id(mentor)
    note = _clean_note(note)
    current = _choice_ids(mentee)
    if mentor_id in current:
        raise DirectoryError("This mentor is already among your choices.")
    _check_choosable(mentee, mentor_id, _listed_mentors(mentee.scheme, [mentor_id]))
    _check_no_conflict(mentee, [mentor_id])
    if len(current) >= mentee.scheme.max_choices:
        raise _too_many(mentee.scheme)
    choice = Choice.objects.create(
        mentee=mentee, mentor_id=mentor_id, rank=len(current) + 1, note=note
    )
    audit.record(
        "directory.choice.added",
        choice,
        actor=actor,
        scheme=mentee.scheme,
        mentee_id=mentee.pk,
        mentor_id=mentor_id,
        rank=choice.rank,
    )
    return choice


def _own_choice(mentee: Participant, mentor: Participant | int) -> Choice:
    choice = Choice.objects.filter(mentee=mentee, mentor_id=_as_id(mentor)).first()
    if choice is None:
        raise DirectoryError("This mentor is not among your choices.")
    return choice


@transaction.atomic
def remove_choice(mentee: Participant, mentor: Participant | int, *, actor) -> None:
    """Remove one choice; the choices below it move up."""
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    choice = _own_choice(mentee, mentor)
    rank, mentor_id = choice.rank, choice.mentor_id
    choice.delete()
    _renumber(mentee)
    dropped = _drop_rankings_of_unchosen(mentee)
    audit.record(
        "directory.choice.removed",
        mentee,
        actor=actor,
        scheme=mentee.scheme,
        mentor_id=mentor_id,
        rank=rank,
        rankings_dropped=dropped,
    )


@transaction.atomic
def move_choice(mentee: Participant, mentor: Participant | int, direction: str, *, actor) -> int:
    """Move one choice ``"up"`` (towards first) or ``"down"``; return its new rank."""
    if direction not in {"up", "down"}:
        raise DirectoryError("Choose whether to move the choice up or down.")
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    _require_inducted(mentee)
    choice = _own_choice(mentee, mentor)
    _renumber(mentee)
    choice.refresh_from_db()
    target = choice.rank - 1 if direction == "up" else choice.rank + 1
    other = Choice.objects.filter(mentee=mentee, rank=target).first()
    if other is None:
        raise DirectoryError(
            "This is already your first choice."
            if direction == "up"
            else "This is already your last choice."
        )
    old = choice.rank
    other.rank, choice.rank = old, target
    other.save(update_fields=["rank"])
    choice.save(update_fields=["rank"])
    audit.record(
        "directory.choice.moved",
        choice,
        actor=actor,
        scheme=mentee.scheme,
        mentee_id=mentee.pk,
        mentor_id=choice.mentor_id,
        old=old,
        new=target,
    )
    return target


@transaction.atomic
def set_choice_note(mentee: Participant, mentor: Participant | int, note: str, *, actor) -> Choice:
    """Change the note to the mentor on one choice (the audit says only that it changed)."""
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    choice = _own_choice(mentee, mentor)
    note = _clean_note(note)
    if choice.note != note:
        choice.note = note
        choice.save(update_fields=["note"])
        audit.record(
            "directory.choice.note_changed",
            choice,
            actor=actor,
            scheme=mentee.scheme,
            mentee_id=mentee.pk,
            mentor_id=choice.mentor_id,
            has_note=bool(note),
        )
    return choice


# -- shared characteristics ----------------------------------------------------------------------


def identity_codes(scheme: Scheme) -> list[str]:
    """The identity dimensions this scheme asks about, in the scheme's order."""
    return [code for code in scheme.identity_dimensions or [] if code in DIMENSIONS]


def characteristic_choices(scheme: Scheme, *, with_identity: bool) -> list[tuple[str, str]]:
    """(code, label) of the characteristics a mentee may ask to share."""
    found = []
    if with_identity:
        found += [(code, DIMENSIONS[code].label) for code in identity_codes(scheme)]
    return found + list(PROFILE_CHARACTERISTICS.items())


def unanswered_characteristics(mentee: Participant) -> set[str]:
    """The scheme's identity characteristics the mentee has not answered (or preferred not to
    say): asking for a mentor who shares one of them cannot count in matching, so the page says
    so beside it. Only which codes, never an answer, leaves this function."""
    answered = set(
        IdentityAnswer.objects.filter(participant=mentee)
        .exclude(value__in=["", PREFER_NOT])
        .values_list("dimension", flat=True)
    )
    return {code for code in identity_codes(mentee.scheme) if code not in answered}


@transaction.atomic
def set_preferences(mentee: Participant, wants_shared: Iterable[str], *, actor) -> MenteePreference:
    """Which shared characteristics matter to the mentee.

    Identity dimension codes need her current consent to identity matching; ``pathway`` and
    ``specialty`` are always allowed.
    """
    mentee = _locked(mentee)
    _require_mentee(mentee)
    _require_open(mentee.scheme)
    scheme = mentee.scheme
    codes = list(dict.fromkeys(str(c) for c in wants_shared))
    asked = identity_codes(scheme)
    unknown = [c for c in codes if c not in asked and c not in PROFILE_CHARACTERISTICS]
    if unknown:
        raise DirectoryError("Choose only characteristics offered on this page.")
    wants_identity = [c for c in codes if c in asked]
    if wants_identity and not has_consent(mentee, IDENTITY_MATCHING):
        raise DirectoryError(
            "To ask for a mentor who shares an identity characteristic, first agree on your "
            "identity page that your answers may be used in matching."
        )
    order = [*asked, *PROFILE_CHARACTERISTICS]
    codes.sort(key=order.index)
    preference, _ = MenteePreference.objects.get_or_create(mentee=mentee)
    if preference.wants_shared != codes:
        preference.wants_shared = codes
        preference.save(update_fields=["wants_shared", "updated_at"])
        audit.record(
            "directory.preferences.set",
            preference,
            actor=actor,
            scheme=scheme,
            mentee_id=mentee.pk,
            codes=codes,
        )
    return preference


def effective_wants_shared(mentee: Participant) -> list[str]:
    """What matching may use now: identity codes only while identity-matching consent holds."""
    preference = MenteePreference.objects.filter(mentee=mentee).first()
    if preference is None:
        return []
    asked = set(identity_codes(mentee.scheme))
    consented = has_consent(mentee, IDENTITY_MATCHING)
    return [
        code
        for code in preference.wants_shared
        if code in PROFILE_CHARACTERISTICS or (code in asked and consented)
    ]


# -- conflicts of interest -----------------------------------------------------------------------


@transaction.atomic
def add_conflict(mentee: Participant, mentor: Participant | int, reason: str, *, actor) -> Conflict:
    """Never match the mentee with this mentor. Allowed even while choices are closed (it only
    takes a pair away); a choice of the same mentor is removed at once."""
    mentee = _locked(mentee)
    _require_mentee(mentee)
    mentor_id = _as_id(mentor)
    if reason not in Conflict.Reason.values:
        raise DirectoryError("Choose the reason that fits best.")
    if mentor_id == mentee.pk:
        raise DirectoryError("You cannot name yourself as a conflict of interest.")
    target = Participant.objects.filter(
        pk=mentor_id, scheme=mentee.scheme, is_mentor=True, status=APPROVED
    ).first()
    if target is None:
        raise DirectoryError("You can only name approved mentors of this scheme.")
    if Conflict.objects.filter(mentee=mentee, mentor=target).exists():
        raise DirectoryError("You have already said you must not be matched with this mentor.")
    conflict = Conflict.objects.create(mentee=mentee, mentor=target, reason=reason)
    removed = Choice.objects.filter(mentee=mentee, mentor=target).first()
    removed_rank = removed.rank if removed else None
    if removed is not None:
        removed.delete()
        _renumber(mentee)
        _drop_rankings_of_unchosen(mentee)
    audit.record(
        "directory.conflict.added",
        conflict,
        actor=actor,
        scheme=mentee.scheme,
        mentee_id=mentee.pk,
        mentor_id=target.pk,
        reason=reason,
        removed_choice_rank=removed_rank,
    )
    return conflict


@transaction.atomic
def remove_conflict(mentee: Participant, mentor: Participant | int, *, actor) -> None:
    """Take back a conflict. Not while choices are closed: matching relies on it."""
    mentee = _locked(mentee)
    _require_mentee(mentee)
    conflict = Conflict.objects.filter(mentee=mentee, mentor_id=_as_id(mentor)).first()
    if conflict is None:
        raise DirectoryError("You have not named this mentor as a conflict.")
    _require_open(mentee.scheme)
    conflict_id, mentor_id = conflict.pk, conflict.mentor_id
    conflict.delete()
    conflict.pk = conflict_id
    audit.record(
        "directory.conflict.removed",
        conflict,
        actor=actor,
        scheme=mentee.scheme,
        mentee_id=mentee.pk,
        mentor_id=mentor_id,
    )


# -- a mentor's ranking of the mentees who chose them -------------------------------------------


def choosers(mentor: Participant):
    """The approved mentees who currently chose ``mentor``, as ``Choice`` rows."""
    return (
        Choice.objects.filter(mentor=mentor, mentee__status=APPROVED, mentee__is_mentee=True)
        .select_related("mentee__user", "mentee__institution", "mentee__scheme")
        .order_by("mentee__user__full_name", "mentee_id")
    )


@transaction.atomic
def set_mentor_ranking(
    mentor: Participant, mentee_ids: Sequence[int], *, actor
) -> list[MentorRanking]:
    """Replace the mentor's explicit order over the mentees who chose them, best first.

    A mentor may rank some and leave the rest unranked; an empty list clears the ranking.
    """
    mentor = _locked(mentor)
    _require_mentor(mentor)
    _require_open(mentor.scheme)
    ids = [_as_id(i) for i in mentee_ids]
    if len(set(ids)) != len(ids):
        raise DirectoryError("Give each mentee a different rank.")
    chose = set(choosers(mentor).values_list("mentee_id", flat=True))
    if any(i not in chose for i in ids):
        raise DirectoryError("You can only rank mentees who chose you.")
    MentorRanking.objects.filter(mentor=mentor).delete()
    rows = MentorRanking.objects.bulk_create(
        [MentorRanking(mentor=mentor, mentee_id=i, rank=r) for r, i in enumerate(ids, 1)]
    )
    audit.record(
        "directory.ranking.set",
        mentor,
        actor=actor,
        scheme=mentor.scheme,
        mentee_ids=ids,
    )
    return rows
