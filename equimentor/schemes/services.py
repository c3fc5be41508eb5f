"""State changes of schemes and their documents, each with an audit record."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max, Q

from equimentor.core import audit, versions
from equimentor.schemes.models import Institution, InstitutionAlias, Scheme, SchemeDocument


class SchemeError(Exception):
    """A change that would leave the scheme unusable, with a message for the coordinator."""


@transaction.atomic
def create_scheme(*, actor, **fields) -> Scheme:
    scheme = Scheme(**fields)
    scheme.is_open = False  # opens once its documents are published
    scheme.full_clean()
    scheme.save()
    audit.record("schemes.created", scheme, actor=actor, scheme=scheme)
    return scheme


@transaction.atomic
def update_scheme(scheme: Scheme, *, actor, **fields) -> Scheme:
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    changed = [name for name, value in fields.items() if getattr(scheme, name) != value]
    for name in changed:
        setattr(scheme, name, fields[name])
    if scheme.is_open and scheme.missing_documents():
        raise SchemeError(
            "Publish every scheme document before opening registration: missing "
            + ", ".join(scheme.missing_documents())
            + "."
        )
    scheme.full_clean()
    if changed:
        scheme.save(update_fields=changed)
        audit.record("schemes.updated", scheme, actor=actor, scheme=scheme, fields=sorted(changed))
    return scheme


@transaction.atomic
def draft_document(scheme: Scheme, kind: str, *, title: str, body: str, actor) -> SchemeDocument:
    """Start a new version (or rewrite the unpublished draft) of a document."""
    draft = (
        SchemeDocument.objects.select_for_update()
        .filter(scheme=scheme, kind=kind, published_at__isnull=True)
        .first()
    )
    if draft is None:
        latest = SchemeDocument.objects.filter(scheme=scheme, kind=kind).aggregate(
            v=Max("version")
        )["v"]
        draft = SchemeDocument.objects.create(
            scheme=scheme, kind=kind, version=(latest or 0) + 1, title=title, body=body
        )
        audit.record(
            "schemes.document.drafted",
            draft,
            actor=actor,
            scheme=scheme,
            kind=kind,
            version=draft.version,
        )
    else:
        draft.title, draft.body = title, body
        draft.save(update_fields=["title", "body"])
        audit.record(
            "schemes.document.edited",
            draft,
            actor=actor,
            scheme=scheme,
            kind=kind,
            version=draft.version,
        )
    return draft


@transaction.atomic
def publish_document(document: SchemeDocument, *, actor) -> SchemeDocument:
    document = SchemeDocument.objects.select_for_update().get(pk=document.pk)
    if document.is_published:
        raise SchemeError("This version is already published.")
    document.publish()
    audit.record(
        "schemes.document.published",
        document,
        actor=actor,
        scheme=document.scheme,
        kind=document.kind,
        version=document.version,
    )
    return document


def find_institution(text: str) -> Institution | None:
    """The institution ``text`` names: its name, short name or an alias, ignoring case and
    surrounding or repeated spaces."""
    wanted = " ".join((text or "").split())
    if not wanted:
        return None
    found = (
        Institution.objects.filter(Q(name__iexact=wanted) | Q(short_name__iexact=wanted))
        .order_by("pk")
        .first()
    )
    if found is None:
        alias = InstitutionAlias.objects.select_related("institution").filter(name__iexact=wanted)
        found = next((a.institution for a in alias), None)
    return found


def _name_taken(name: str, *, institution=None, alias=None) -> bool:
    """Is ``name`` already some other institution's name, short name or alias?"""
    names = Institution.objects.filter(Q(name__iexact=name) | Q(short_name__iexact=name))
    aliases = InstitutionAlias.objects.filter(name__iexact=name)
    if institution is not None:
        names = names.exclude(pk=institution.pk)
    if alias is not None:
        aliases = aliases.exclude(pk=alias.pk)
    return names.exists() or aliases.exists()


@transaction.atomic
def save_institution(
    *, name: str, short_name: str = "", actor, institution: Institution | None = None
) -> Institution:
    """Create an institution, or rename one; names, short names and aliases stay unambiguous."""
    name, short_name = " ".join(name.split()), " ".join(short_name.split())
    for value in filter(None, (name, short_name)):
        if _name_taken(value, institution=institution):
            raise SchemeError(f"“{value}” already names another institution or one of its aliases.")
    created = institution is None
    institution = institution or Institution()
    institution.name, institution.short_name = name, short_name
    institution.full_clean()
    institution.save()
    audit.record(
        "schemes.institution." + ("created" if created else "updated"), institution, actor=actor
    )
    if not created:  # reports by institution name it: every scheme's reports may show it
        for scheme_id in Scheme.objects.values_list("pk", flat=True):
            versions.changed(scheme_id)
    return institution


@transaction.atomic
def add_alias(institution: Institution, name: str, *, actor) -> InstitutionAlias:
    name = " ".join(name.split())
    if not name:
        raise SchemeError("Give the other name.")
    if _name_taken(name) or name.lower() in {institution.name.lower()}:
        raise SchemeError(f"“{name}” already names an institution or one of its aliases.")
    alias = InstitutionAlias.objects.create(institution=institution, name=name)
    audit.record("schemes.institution.alias_added", institution, actor=actor, alias_id=alias.pk)
    return alias


@transaction.atomic
def remove_alias(alias: InstitutionAlias, *, actor) -> None:
    audit.record(
        "schemes.institution.alias_removed", alias.institution, actor=actor, alias_id=alias.pk
    )
    alias.delete()
