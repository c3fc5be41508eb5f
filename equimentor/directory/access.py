"""Object-level access to the directory: one helper per question, shared by pages and API.

The directory of a scheme is for that scheme's approved participants (any role) and its
coordinators. Anyone else — a participant of another scheme, a pending registration, an
applicant, another scheme's coordinator — gets nothing: a 403 for a scheme they cannot see,
a 404 for a mentor who is not listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from equimentor.core.roles import Role
from equimentor.directory import ordering
from equimentor.directory.models import DirectoryVersion
from equimentor.enrolment.access import get_own_participation
from equimentor.enrolment.models import Consent, Participant
from equimentor.identity.models import IdentityAnswer
from equimentor.pairing.gate import MENTOR, ready
from equimentor.pairing.load import loads_in, with_load
from equimentor.schemes.access import has_role
from equimentor.schemes.dimensions import PREFER_NOT
from equimentor.schemes.models import Scheme

APPROVED = Participant.Status.APPROVED


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a scheme's directory."""

    scheme: Scheme
    participant: Participant | None  # the viewer's own approved participation, if any
    user: object
    version: DirectoryVersion | None = None  # the scheme's, read with it

    def directory(self) -> ordering.Directory:
        """The scheme's directory at the version read with the scheme (one query for both)."""
        return ordering.Directory(self.scheme, self.version)

    @cached_property
    def is_staff(self) -> bool:
        """Whether the viewer coordinates the scheme (read when first asked: a participant's
        page never asks, and her access does not depend on it)."""
        return has_role(self.user, self.scheme, Role.COORDINATOR)

    @property
    def mentee(self) -> Participant | None:
        """The viewer as a mentee who may choose mentors, if she is one."""
        p = self.participant
        return p if p is not None and p.is_mentee else None


def _approved_participation(user, scheme: Scheme) -> Participant | None:
    if not user.is_authenticated:
        return None
    participant = Participant.objects.filter(user=user, scheme=scheme, status=APPROVED).first()
    if participant is not None:  # the rows already read (joining them again costs a page)
        participant.scheme = scheme
        participant.user = user
    return participant


def get_viewer(user, slug: str) -> Viewer:
    """The viewer of scheme ``slug``'s directory; PermissionDenied for anyone else."""
    scheme = get_object_or_404(Scheme.objects.select_related("directoryversion"), slug=slug)
    viewer = Viewer(
        scheme=scheme,
        participant=_approved_participation(user, scheme),
        user=user,
        version=getattr(scheme, "directoryversion", None),  # (None: a scheme without one yet)
    )
    if viewer.participant is None and not viewer.is_staff:
        raise PermissionDenied("The directory is open to this scheme's approved participants.")
    return viewer


def get_directory_scheme(user, slug: str) -> Scheme:
    """Scheme ``slug``, if ``user`` may see its directory."""
    return get_viewer(user, slug).scheme


_SHOWN: list[QuerySet[IdentityAnswer]] = []


def _shown_answers() -> QuerySet[IdentityAnswer]:
    """The answers the directory may show (built once: building the consent subquery costs a
    page more than running it; each use filters a clone)."""
    if not _SHOWN:
        _SHOWN.append(_build_shown_answers())
    return _SHOWN[0].all()


def _build_shown_answers() -> QuerySet[IdentityAnswer]:
    consented = Consent.objects.filter(
        participant=OuterRef("participant"),
        purpose=Consent.Purpose.IDENTITY_MATCHING,
        withdrawn_at__isnull=True,
    )
    return (
        IdentityAnswer.objects.filter(show_on_profile=True)
        .filter(Exists(consented))
        .exclude(value=PREFER_NOT, self_description="")
        .order_by("dimension")
    )


def shown_identity_answers() -> Prefetch:
    """A mentor's identity answers as the directory may show them: only those the mentor chose
    to show on her profile, only while she consents to identity matching, and never "prefer not
    to say" alone. Lands on ``shown_identity``."""
    return Prefetch("identity_answers", queryset=_shown_answers(), to_attr="shown_identity")


def shown_identity(ids, dimensions) -> dict[int, list[IdentityAnswer]]:
    """The identity answers of mentors ``ids`` the directory may show (as
    ``shown_identity_answers``), in ``dimensions`` only, by mentor: read on every request, never
    kept with the directory's order (a withdrawn consent or a hidden answer moves no version)."""
    shown: dict[int, list[IdentityAnswer]] = {}
    if ids and dimensions:
        for answer in _shown_answers().filter(participant_id__in=ids, dimension__in=dimensions):
            shown.setdefault(answer.participant_id, []).append(answer)
    return shown


def listed_base(scheme: Scheme) -> QuerySet[Participant]:
    """The scheme's listed mentors, with nothing annotated or fetched beside them."""
    return Participant.objects.filter(
        scheme=scheme, is_mentor=True, status=APPROVED, listing__is_published=True
    ).filter(ready(MENTOR))


def read_order(scheme: Scheme) -> list[tuple[int, int]]:
    """(mentor id, free places) of every listed mentor, in the order mentees see them: those with
    a free place first, then by name (in the database's collation) and id. The names' order
    comes from the database, each mentor's load from ``loads_in`` (grouped queries: counted per
    mentor by ``with_load``, this cost ten times as much at 50,000 mentors); ``free`` is
    ``with_load``'s, ``max(capacity - load, 0)``."""
    load = loads_in(scheme.pk)
    rows = listed_base(scheme).order_by("user__full_name", "pk")
    counted = [
        (pk, max((capacity or 0) - load[pk], 0))
        for pk, capacity in rows.values_list("pk", "mentor_capacity")
    ]
    return [row for row in counted if row[1]] + [row for row in counted if not row[1]]


def directory_ids(directory: ordering.Directory, form) -> list[int]:
    """Ids of the listed mentors a ``MentorFilterForm`` selects, in the order mentees see them
    (free places first, then by name: ``directory.ordering``). Without filters this reads no
    mentor at all; a filter reads only the matching ids."""
    scheme = directory.scheme
    order = directory.order(lambda: read_order(scheme))
    wants_free = form.wants_capacity
    if not form.is_filtered or form.querystring == "has_capacity=on":
        return order.free_ids if wants_free else order.ids
    chosen = set(form.filter(listed_base(scheme), capacity=False).values_list("pk", flat=True))
    return [pk for pk, free in order if pk in chosen and (free or not wants_free)]


def mentors_in_order(directory: ordering.Directory, ids) -> list[Participant]:
    """The listed mentors ``ids``, with everything a card shows but her identity answers
    (``shown_identity`` reads those on every request), in the order of ``ids`` (one that
    stopped being listed meanwhile is left out).

    After ``directory_ids`` with the same ``directory``, their free places come from its order
    (counted at the version this request read) rather than counted again per mentor: the query
    then carries no load subqueries, which cost more to build than to run."""
    ids = list(ids)
    scheme = directory.scheme
    free = directory.free_places(ids)
    if free is None:
        found = {m.pk: m for m in _with_facts(with_load(listed_base(scheme))).filter(pk__in=ids)}
    else:
        found = {m.pk: m for m in _with_facts(listed_base(scheme)).filter(pk__in=ids)}
        for pk, mentor in found.items():
            mentor.free = free[pk]
    return [found[pk] for pk in ids if pk in found]


def per_mentor(
    directory: ordering.Directory,
    kind: str,
    ids,
    build: Callable[[list[Participant]], dict[int, object]],
) -> list:
    """What ``build`` makes of each listed mentor ``ids`` (given them from ``mentors_in_order``,
    it returns a dict by id), in the order of ``ids``. Each mentor's is kept at the directory's
    version (``Directory.pieces``) and built again only once the version moves (any save of a
    mentor, her user or listing, her load, the scheme): a page whose mentors were all built at
    this version reads none. ``build`` must depend on nothing but the mentor (not on who is
    looking)."""
    ids = list(ids)
    kept = directory.pieces(kind)
    missing = [pk for pk in ids if pk not in kept]
    built = build(mentors_in_order(directory, missing)) if missing else {}
    for pk, value in built.items():
        if len(kept) >= ordering.MAX_PIECES:
            break
        kept[pk] = value
    return [kept.get(pk, built.get(pk)) for pk in ids if pk in kept or pk in built]


def _with_facts(mentors: QuerySet[Participant]) -> QuerySet[Participant]:
    return mentors.select_related("user", "institution", "listing", "scheme")


def _with_card(mentors: QuerySet[Participant]) -> QuerySet[Participant]:
    return _with_facts(mentors).prefetch_related(shown_identity_answers())


def listed_mentors(scheme: Scheme) -> QuerySet[Participant]:
    """Approved mentors of ``scheme`` with a published listing (and their required induction
    done, where the scheme asks it), annotated with ``load`` and ``free`` places, with everything
    a card shows fetched in a fixed number of queries."""
    return _with_card(with_load(listed_base(scheme)))


def get_listed_mentor(user, slug: str, pk: int) -> tuple[Viewer, Participant]:
    """A mentor listed in scheme ``slug``'s directory, for a viewer allowed to see it.

    A mentor may also preview her own listing while it is unpublished.
    """
    viewer = get_viewer(user, slug)
    mentor = listed_mentors(viewer.scheme).filter(pk=pk).first()
    if mentor is None and viewer.participant is not None and viewer.participant.pk == pk:
        own = viewer.participant
        if own.is_mentor and hasattr(own, "listing"):
            mentor = (
                with_load(Participant.objects.filter(pk=pk))
                .select_related("user", "institution", "listing", "scheme")
                .prefetch_related(shown_identity_answers())
                .first()
            )
    if mentor is None:
        raise Http404("No such mentor in this directory.")
    return viewer, mentor


def get_own_mentee(user, slug: str) -> Participant:
    """The caller's own approved participation as a mentee in scheme ``slug``."""
    participant = get_own_participation(user, slug)
    if participant.status != APPROVED:
        raise PermissionDenied("Choosing mentors opens once your registration is approved.")
    if not participant.is_mentee:
        raise PermissionDenied("Only mentees choose mentors.")
    return participant


def get_own_mentor(user, slug: str) -> Participant:
    """The caller's own approved participation as a mentor in scheme ``slug``."""
    participant = get_own_participation(user, slug)
    if participant.status != APPROVED:
        raise PermissionDenied("Your listing opens once your registration is approved.")
    if not participant.is_mentor:
        raise PermissionDenied("Only mentors have a listing.")
    return participant
