"""The order a mentee sees the directory in (mentors with a free place first, then by name), for
a scheme of any size at the cost of one page.

Ordering needs every mentor's free places, which are counted from proposals and relationships:
a query over all of a scheme's mentors. Each web process keeps that order (mentor ids, and
whether each had a free place) with the scheme's ``DirectoryVersion`` it read it at, and reads it
again only once the version has moved on; the shared cache holds it too, so that another process,
or one just recycled, takes it from there instead of reading every mentor again. Whatever changes the order moves the version in the same
transaction (``changed``), from signals each app connects for its own models
(``connect_signals`` here, and in matching, relationships and training) and from the bulk writes
that send no signal (publishing a round). A page then costs one small query for the version and
one for its 20 rows, with 5,000 mentors or 50,000.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.signals import post_delete, post_save

from equimentor.directory.models import DirectoryVersion

# A kept order is also read again after MAX_AGE, so that a change no signal reported (a raw
# update, a bulk write someone adds later) shows within a minute at worst.
MAX_AGE = 60.0

_kept: dict[int, tuple[tuple, float, Order]] = {}
_derived: dict[tuple[int, str], tuple[tuple, float, object]] = {}


class Order(list):
    """(mentor id, free places) in the order mentees see them, with the two id lists a page
    slices (everyone, and only those with a free place) and each mentor's free places, made once
    (a page's cards take their free places from here instead of counting them again)."""

    def __init__(self, rows):
        super().__init__(rows)
        self.ids = [pk for pk, _ in self]
        self.free_ids = [pk for pk, free in self if free]
        self.free = dict(self)
        # what a page or the API made of each mentor at this version (``pieces``)
        self.pieces: dict[str, dict[int, object]] = {}


def changed(scheme_id: int | None) -> None:
    """Something that orders scheme ``scheme_id``'s directory changed (in this transaction)."""
    # Only an existing row moves: a scheme has one from its creation (and a row made later by a
    # reader starts with a new token); inserting here could name a scheme being deleted.
    if scheme_id is not None:
        DirectoryVersion.objects.filter(scheme_id=scheme_id).update(version=F("version") + 1)


def _stamp(scheme) -> tuple:
    row = DirectoryVersion.objects.filter(scheme=scheme).values_list("token", "version").first()
    if row is None:
        row = DirectoryVersion.objects.get_or_create(scheme=scheme)[0]
        row = (row.token, row.version)
    return row


def _fresh(kept: tuple | None, stamp: tuple) -> bool:
    """A kept (stamp, read at, value) still holds: read at this version, less than MAX_AGE ago."""
    return kept is not None and kept[0] == stamp and time.time() - kept[1] < MAX_AGE


def ordered(scheme, listed: Callable[[], QuerySet]) -> Order:
    """(mentor id, free places) of every mentor in ``listed()`` (the scheme's listed mentors,
    annotated with ``free``; built only when the order is read again), in the order mentees see
    them."""
    stamp = _stamp(scheme)
    kept = _kept.get(scheme.pk)
    if _fresh(kept, stamp):
        return kept[2]
    # another process (or this one before a restart) may have read it at this version: the
    # shared cache holds it for MAX_AGE, so a recycled web process does not read every mentor
    shared_key = f"directory-order:v2:{scheme.pk}:{stamp[0]}:{stamp[1]}"
    shared = cache.get(shared_key)
    if shared is not None and time.time() - shared[0] < MAX_AGE:
        order = Order(shared[1])
        _kept[scheme.pk] = (stamp, shared[0], order)
        return order
    rows = (
        listed()
        .order_by(
            Case(When(free__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "user__full_name",
            "pk",
        )
        .values_list("pk", "free")
    )
    order = Order(rows)
    now = time.time()
    _kept[scheme.pk] = (stamp, now, order)
    cache.set(shared_key, (now, list(order)), timeout=MAX_AGE)
    return order


def free_places(scheme_id: int, ids) -> dict[int, int] | None:
    """Free places of the mentors ``ids`` from the order this process keeps for the scheme (read
    by ``ordered`` earlier in the same request), or None if it keeps none."""
    kept = _kept.get(scheme_id)
    if kept is None:
        return None
    free = kept[2].free
    return {pk: free.get(pk, 0) for pk in ids}


# at most this many mentors' pieces of each kind are kept per order (a few MB at most)
MAX_PIECES = 5000


def pieces(scheme_id: int, kind: str) -> dict[int, object] | None:
    """What the directory made of each mentor (``kind``: a card's HTML, the API's JSON) at the
    version of the order this process keeps for the scheme (read by ``ordered`` earlier in the
    same request), or None if it keeps none. It lives and dies with that order: a change that
    moves the version, or MAX_AGE, starts an empty one."""
    kept = _kept.get(scheme_id)
    return None if kept is None else kept[2].pieces.setdefault(kind, {})


def kept_stamp(scheme_id: int) -> str:
    """The version of the order this process keeps for the scheme ("" if none): read by
    ``ordered`` earlier in the same request, it keys what a page caches beside it (the filter
    form's HTML)."""
    kept = _kept.get(scheme_id)
    return f"{kept[0][0]}-{kept[0][1]}" if kept is not None else ""


def started(sender, instance, created, raw=False, **kwargs) -> None:
    """A new scheme gets its version row; a changed one moves it (its settings, such as career
    stages and the cross-institution rule, show in the directory). post_save of Scheme."""
    if raw:
        return
    if created:
        DirectoryVersion.objects.get_or_create(scheme=instance)
    else:
        changed(instance.pk)


def derived(scheme, name: str, compute: Callable[[], object]):
    """A value computed from the scheme's listed mentors (the institutions the filter offers),
    kept in this process until the directory's version moves (or MAX_AGE), as the order is."""
    stamp = _stamp(scheme)
    kept = _derived.get((scheme.pk, name))
    if _fresh(kept, stamp):
        return kept[2]
    value = compute()
    _derived[(scheme.pk, name)] = (stamp, time.time(), value)
    return value


def forget() -> None:
    """Drop every kept order and derived value (tests)."""
    _kept.clear()
    _derived.clear()


def follow(model, scheme_of) -> None:
    """Move the version of ``scheme_of(instance)``'s directory whenever a ``model`` row is saved
    or deleted (``scheme_of`` may return None: nothing to move)."""

    def moved(sender, instance, **kwargs):
        if kwargs.get("raw"):  # fixtures being loaded
            return
        changed(scheme_of(instance))

    post_save.connect(moved, sender=model, weak=False, dispatch_uid=f"directory-order-{model}")
    post_delete.connect(moved, sender=model, weak=False, dispatch_uid=f"directory-order-d-{model}")
