"""State changes of schemes and their documents, each with an audit record."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from equimentor.core import audit
from equimentor.schemes.models import Scheme, SchemeDocument, StaffRole


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


@transaction.atomic
def grant_role(scheme: Scheme, user, role: str, *, actor, institution=None) -> StaffRole:
    staff, _ = StaffRole.objects.get_or_create(
        scheme=scheme, user=user, role=role, defaults={"institution": institution}
    )
    audit.record(
        "schemes.role.granted", staff, actor=actor, scheme=scheme, role=role, user_id=user.pk
    )
    return staff
