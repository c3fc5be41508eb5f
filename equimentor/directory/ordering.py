"""The order a mentee sees the directory in (mentors with a free place first, then by name), for
a scheme of any size at the cost of one page.

Ordering needs every mentor's free places, which are counted from proposals and relationships:
reading it reads all of a scheme's mentors (``access.read_order``: their names' order, and their
loads grouped by mentor). Each web process keeps that order (mentor ids, and each
one's free places) with the scheme's ``DirectoryVersion`` it was read at, and reads it again
only once the version has moved on, never on a timer: the order reads stored rows only (no
clock), so it cannot change while the version stands still. The shared cache holds it too, by
version, so that one process reads it after a change and the others (or one just recycled)
take it from there; while one reads it the others wait for it (``core.once``).

Whatever changes the order moves the version in the same transaction (``changed``), from
signals each app connects for its own models (``follow``, here and in matching, relationships
and training; ``tests/test_directory_ordering.py`` checks that every table the order and the
cards read is followed) and from the bulk writes that send no signal (publishing a round).

A request reads the version once (``Directory``) and takes from what this process keeps at
that version: the order, values derived from the listed mentors (the filter's institutions)
and what a page or the API made of each mentor (``pieces``). A page then costs one small query
for the version and one for its 20 rows, with 5,000 mentors or 50,000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F
from django.db.models.signals import post_delete, post_save

from equimentor.core.once import computed_once
from equimentor.directory.models import DirectoryVersion

# how long the shared cache holds an order read at one version (its key names the version, so
# an order of an older one is never read: this only bounds what the cache holds)
SHARED_SECONDS = 24 * 3600
# at most this many mentors' pieces of each kind are kept per version (a few MB at most)
MAX_PIECES = 5000


class Order(list):
    """(mentor id, free places) in the order mentees see them, with the two id lists a page
    slices (everyone, and only those with a free place) and each mentor's free places, made once
    (a page's cards take their free places from here instead of counting them again)."""

    def __init__(self, rows):
        super().__init__(rows)
        self.ids = [pk for pk, _ in self]
        self.free_ids = [pk for pk, free in self if free]
        self.free = dict(self)


@dataclass
class _Kept:
    """What this process keeps of one scheme's directory at one version."""

    stamp: tuple
    order: Order | None = None
    derived: dict[str, object] = field(default_factory=dict)
    pieces: dict[str, dict[int, object]] = field(default_factory=dict)


_kept: dict[int, _Kept] = {}


class Directory:
    """A scheme's directory as one request sees it: the version read once, and what this process
    keeps at that version (nothing kept at another version is ever mixed in)."""

    def __init__(self, scheme, row: DirectoryVersion | None = None):
        """``row``: the scheme's version row if this request has just read it (``access.Viewer``
        reads it with the scheme); otherwise it is read here."""
        self.scheme = scheme
        stamp = (row.token, row.version) if row is not None else _stamp(scheme)
        kept = _kept.get(scheme.pk)
        if kept is None or kept.stamp != stamp:
            kept = _Kept(stamp)
            older = _kept.get(scheme.pk)
            # (a slow request that read an older version does not replace a newer one)
            if older is None or older.stamp[0] != stamp[0] or older.stamp[1] < stamp[1]:
                _kept[scheme.pk] = kept
        self._kept = kept

    def _shared_key(self, name: str) -> str:
        token, version = self._kept.stamp
        return f"directory:v3:{self.scheme.pk}:{token}:{version}:{name}"

    def order(self, read: Callable[[], list[tuple[int, int]]]) -> Order:
        """(mentor id, free places) of every listed mentor in the order mentees see them, as
        ``read()`` reads them (called only when the order is read again)."""
        kept = self._kept
        if kept.order is None:
            rows = computed_once(self._shared_key("order"), read, timeout=SHARED_SECONDS)
            kept.order = Order(rows)
        return kept.order

    def free_places(self, ids) -> dict[int, int] | None:
        """Free places of the mentors ``ids`` from the order (None if this request read none)."""
        order = self._kept.order
        if order is None:
            return None
        return {pk: order.free.get(pk, 0) for pk in ids}

    def derived(self, name: str, compute: Callable[[], object]):
        """A value computed from the scheme's listed mentors (the institutions the filter
        offers), kept at this version as the order is (``compute`` must not return None)."""
        kept = self._kept.derived
        if name not in kept:
            kept[name] = computed_once(self._shared_key(name), compute, timeout=SHARED_SECONDS)
        return kept[name]

    def pieces(self, kind: str) -> dict[int, object]:
        """What the directory made of each mentor (``kind``: a card's HTML, the API's JSON) at
        this version, in this process: it is dropped with the version. (Not in the shared cache:
        it holds mentors' names and profiles, which erasure must not leave behind there.)"""
        return self._kept.pieces.setdefault(kind, {})


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


def started(sender, instance, created, raw=False, **kwargs) -> None:
    """A new scheme gets its version row; a changed one moves it (its settings, such as career
    stages and the cross-institution rule, show in the directory). post_save of Scheme."""
    if raw:
        return
    if created:
        DirectoryVersion.objects.get_or_create(scheme=instance)
    else:
        changed(instance.pk)


def forget() -> None:
    """Drop everything this process keeps (tests: another process)."""
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
