"""Erasing one person, app by app (issue #22): the registry of shredders.

Each app that holds anything about people has a ``shredders.py`` and registers its shredder(s)
here in its ``AppConfig.ready()``. A shredder

- declares, for every model its app owns that has a field which could hold something personal
  (text, an address, a JSON document, a file, a link to a person), which of those fields it
  erases and which it keeps, and why (:class:`Covers`); ``tests/test_privacy_erasure.py`` walks
  every model of the project and fails on a field no shredder declares;
- exports what its app holds about the person (the subject-access download), and
- erases it, given a :class:`Person`: the account and what identified her before anything was
  erased (her address and name, so that later shredders can still find them in text).

``privacy.services.erase_person`` runs every registered shredder in :func:`shredders` order
(lowest ``order`` first; the account's shredder last, since others match on the address) inside
one transaction that also holds its audit record. Core imports no other app: the shredders bring
their models with them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import models

ERASED = "(erased)"
"""What replaces the person's address or name found inside other text."""

ERASED_NAME = "Erased person"


def erased_email(user) -> str:
    return f"erased-{user.pk}@erased.invalid"


@dataclass(frozen=True)
class Person:
    """Whom to erase, and what identified her before any shredder ran."""

    user: Any
    email: str
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, user) -> Person:
        return cls(user=user, email=user.email, names=(user.full_name,))

    @property
    def markers(self) -> tuple[str, ...]:
        """Her address and names, as they might be written into other text (3 letters or more:
        a shorter name would match inside ordinary words)."""
        return tuple(m for m in (self.email, *self.names) if m and len(m.strip()) >= 3)

    def _pattern(self) -> re.Pattern | None:
        marks = sorted(self.markers, key=len, reverse=True)
        return re.compile("|".join(re.escape(m) for m in marks), re.I) if marks else None

    def scrub(self, value):
        """``value`` (text, or JSON: lists and dicts of text) with her address and names replaced
        by :data:`ERASED`."""
        pattern = self._pattern()
        if pattern is None:
            return value

        def walk(v):
            if isinstance(v, str):
                return pattern.sub(ERASED, v)
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            return v

        return walk(value)

    def scrub_rows(self, queryset, fields: Iterable[str]) -> int:
        """Replace her address and names inside ``fields`` of the rows of ``queryset`` that
        contain them (found by the database, case-insensitively). Returns rows changed."""
        fields = list(fields)
        q = models.Q()
        for f in fields:
            is_json = isinstance(queryset.model._meta.get_field(f), models.JSONField)
            for m in self.markers:
                q |= models.Q(**{f"{f}__icontains": m})
                escaped = json.dumps(m)[1:-1]  # as JSON stores it when not plain ASCII
                if is_json and escaped != m:
                    q |= models.Q(**{f"{f}__icontains": escaped})
        if not q:
            return 0
        n = 0
        for obj in queryset.filter(q).iterator():
            changed = []
            for f in fields:
                old = getattr(obj, f)
                new = self.scrub(old)
                if new != old:
                    setattr(obj, f, new)
                    changed.append(f)
            if changed:
                obj.save(update_fields=changed)
                n += 1
        return n


def _names(spec) -> tuple[str, ...]:
    if isinstance(spec, str):
        return tuple(spec.split())
    return tuple(spec)


@dataclass(frozen=True)
class Covers:
    """What a shredder does with one model's fields that could hold something personal.

    ``erased``: fields blanked, replaced or scrubbed of her address and name (space-separated
    names); ``kept``: field names (several, space-separated, may share a reason) mapped to why they
    stay; ``deleted``: which of the model's rows are deleted (all their fields go, except those
    in ``kept``, which other rows keep).
    """

    model: type[models.Model]
    erased: str | tuple[str, ...] = ()
    kept: Mapping[str, str] = field(default_factory=dict)
    deleted: str = ""

    def fields(self) -> dict[str, tuple[str, str]]:
        """field name -> ("erased" | "kept", why)."""
        out: dict[str, tuple[str, str]] = {}
        if self.deleted:
            for f in self.model._meta.concrete_fields:
                out[f.name] = ("erased", f"rows deleted: {self.deleted}")
        for name in _names(self.erased):
            out[name] = ("erased", "")
        for names, why in self.kept.items():
            for name in names.split():
                out[name] = ("kept", why)
        return out


@dataclass(frozen=True)
class Shredder:
    """One app's part of erasure. ``name`` heads its part of the export."""

    name: str
    order: int
    covers: tuple[Covers, ...]
    erase: Callable[[Person], int]
    export: Callable[[Any], Any] | None = None


_registry: dict[str, Shredder] = {}


def register(shredder: Shredder) -> None:
    if shredder.name in _registry and _registry[shredder.name] is not shredder:
        raise ValueError(f"A shredder named {shredder.name!r} is already registered.")
    _registry[shredder.name] = shredder


def unregister(name: str) -> Shredder:
    return _registry.pop(name)


def shredders() -> list[Shredder]:
    """The registered shredders in the order they run (and their parts of the export appear)."""
    return sorted(_registry.values(), key=lambda s: (s.order, s.name))


@contextmanager
def without(name: str):
    """Leave out one shredder for the duration (tests: showing what it alone covers)."""
    shredder = unregister(name)
    try:
        yield shredder
    finally:
        _registry[name] = shredder


def declared() -> dict[type[models.Model], dict[str, tuple[str, str, str]]]:
    """model -> field -> ("erased" | "kept", why, shredder) over every registered shredder."""
    out: dict[type[models.Model], dict[str, tuple[str, str, str]]] = {}
    for s in shredders():
        for c in s.covers:
            for name, (what, why) in c.fields().items():
                out.setdefault(c.model, {})[name] = (what, why, s.name)
    return out


def erase(person: Person) -> dict[str, int]:
    """Run every shredder on ``person``; rows touched by each. The caller holds the transaction."""
    return {s.name: s.erase(person) for s in shredders()}


def export(user) -> dict[str, Any]:
    return {s.name: s.export(user) for s in shredders() if s.export is not None}


# -- helpers for the shredders' exports ----------------------------------------------------------


def _value(v):
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal | UUID):
        return str(v)
    if isinstance(v, models.Model):
        return v.pk
    if isinstance(v, bytes | memoryview):
        return None
    return v


def rows(qs, exclude=()) -> list[dict]:
    """Rows as plain dicts for the export (never password or token hashes)."""
    out = []
    for obj in qs:
        row = {}
        for f in obj._meta.concrete_fields:
            if f.name in exclude or f.name.endswith("hash") or f.name == "password":
                continue
            row[f.attname if f.is_relation else f.name] = _value(getattr(obj, f.attname))
        out.append(row)
    return out
