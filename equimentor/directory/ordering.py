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

from django.core.cache import cache
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.signals import post_delete, post_save

from equimentor.directory.models import DirectoryVersion

# A kept order is also read again after MAX_AGE, so that a change no signal reported (a raw
# update, a bulk write someone adds later) shows within a minute at worst.
MAX_AGE = 60.0

_kept: dict[int, tuple[tuple, float, Order]] = {}


class Order(list):
    """(mentor id, has a free place) in the order mentees see them, with the two id lists a page
    slices (everyone, and only those with a free place) made once."""

    def __init__(self, rows):
        super().__init__(rows)
        self.ids = [pk for pk, _ in self]
        self.free_ids = [pk for pk, free in self if free]


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


def ordered(scheme, listed) -> Order:
    """(mentor id, has a free place) of every mentor in ``listed`` (the scheme's listed mentors,
    annotated with ``free``), in the order mentees see them."""
    stamp = _stamp(scheme)
    kept = _kept.get(scheme.pk)
    if kept is not None and kept[0] == stamp and time.time() - kept[1] < MAX_AGE:
        return kept[2]
    # another process (or this one before a restart) may have read it at this version: the
    # shared cache holds it for MAX_AGE, so a recycled web process does not read every mentor
    shared_key = f"directory-order:{scheme.pk}:{stamp[0]}:{stamp[1]}"
    shared = cache.get(shared_key)
    if shared is not None and time.time() - shared[0] < MAX_AGE:
        order = Order(shared[1])
        _kept[scheme.pk] = (stamp, shared[0], order)
        return order
    rows = listed.order_by(
        Case(When(free__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "user__full_name",
        "pk",
    ).values_list("pk", "free")
    order = Order((pk, free > 0) for pk, free in rows)
    now = time.time()
    _kept[scheme.pk] = (stamp, now, order)
    cache.set(shared_key, (now, list(order)), timeout=MAX_AGE)
    return order


def started(sender, instance, created, raw=False, **kwargs) -> None:
    """A new scheme gets its version row (post_save of Scheme)."""
    if created and not raw:
        DirectoryVersion.objects.get_or_create(scheme=instance)


def forget() -> None:
    """Drop every kept order (tests)."""
    _kept.clear()


def follow(model, scheme_of) -> None:
    """Move the version of ``scheme_of(instance)``'s directory whenever a ``model`` row is saved
    or deleted (``scheme_of`` may return None: nothing to move)."""

    def moved(sender, instance, **kwargs):
        if kwargs.get("raw"):  # fixtures being loaded
            return
        changed(scheme_of(instance))

    post_save.connect(moved, sender=model, weak=False, dispatch_uid=f"directory-order-{model}")
    post_delete.connect(moved, sender=model, weak=False, dispatch_uid=f"directory-order-d-{model}")
