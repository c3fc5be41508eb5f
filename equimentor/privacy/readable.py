"""The personal data download in a form a person can read (issue #21): the same content as the
machine-readable JSON (``services.export_person``), with headings for what each part is, field
names in words, dates in the person's time zone, the scheme, institution and document a record
points to named instead of numbered, identity answers and coded values in words, and the
database's own ids left out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format

from equimentor.schemes.dimensions import DIMENSIONS
from equimentor.schemes.models import Institution, Scheme, SchemeDocument

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}|$)")
DOTTED = re.compile(r"[a-z_]+(?:\.[a-z_]+)+")
NAMED = {"scheme_id": "Scheme", "institution_id": "Institution", "document_id": "Document"}
SKIPPED = {"id", "format", "generated_at"}


@dataclass
class Part:
    title: str
    records: list[list[tuple[str, str]]] = field(default_factory=list)
    note: str = ""


def _words(code: str) -> str:
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _lookups(data) -> dict[str, dict]:
    ids: dict[str, set] = {k: set() for k in NAMED}

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ids and isinstance(v, int):
                    ids[k].add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    documents = SchemeDocument.objects.filter(pk__in=ids["document_id"]).select_related("scheme")
    return {
        "scheme_id": dict(Scheme.objects.filter(pk__in=ids["scheme_id"]).values_list("pk", "name")),
        "institution_id": dict(
            Institution.objects.filter(pk__in=ids["institution_id"]).values_list("pk", "name")
        ),
        "document_id": {d.pk: f"{d.title}, version {d.version}" for d in documents},
    }


def _value(key: str, value, record: dict, names: dict) -> str | None:
    if key in NAMED:
        return names[key].get(value, "—") if value is not None else "—"
    if key.endswith("_id") or key in SKIPPED:
        return None  # the database's numbering says nothing to a reader
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_words(v) if isinstance(v, str) else str(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{_words(k)}: {v}" for k, v in value.items()) or "—"
    if isinstance(value, str):
        if key == "value" and record.get("dimension") in DIMENSIONS:
            return DIMENSIONS[record["dimension"]].option_label(value) or value
        if key == "dimension" and value in DIMENSIONS:
            return DIMENSIONS[value].label
        if ISO_MOMENT.match(value):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if "T" not in value:
                return date_format(moment, "j F Y")
            return date_format(timezone.localtime(moment), "j F Y, H:i")
        if key in ("status", "purpose", "kind", "state", "side", "role", "mode", "reason"):
            return _words(value)
        if key in ("action", "object_type") and DOTTED.fullmatch(value):
            app, _dot, rest = value.partition(".")
            return f"{_words(app)}: {rest.replace('.', ' ').replace('_', ' ')}"
    return str(value)


def _records(rows, names) -> list[list[tuple[str, str]]]:
    out = []
    for row in rows:
        if not isinstance(row, dict):
            out.append([("", str(row))])
            continue
        pairs = []
        for key, value in row.items():
            text = _value(key, value, row, names)
            if text is not None:
                pairs.append((NAMED.get(key, _words(key)), text))
        out.append(pairs)
    return out


def readable(data: dict) -> list[Part]:
    """The parts of ``export_person``'s dictionary, in its order, as headed lists of records."""
    names = _lookups(data)
    parts = []
    for app, content in data.items():
        if app in SKIPPED:
            continue
        if isinstance(content, dict):
            for name, rows in content.items():
                rows = rows if isinstance(rows, list) else [rows]
                parts.append(Part(f"{_words(app)}: {_words(name).lower()}", _records(rows, names)))
        elif isinstance(content, list):
            parts.append(Part(_words(app), _records(content, names)))
        else:
            parts.append(Part(_words(app), [[("", str(content))]]))
    return parts
