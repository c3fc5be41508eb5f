"""Core's part of erasure: the audit trail and the outbox (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.core.models import AuditEvent, OutgoingEmail


def _audit_export(user):
    return [
        {"at": e.at.isoformat(), "action": e.action, "object_type": e.object_type}
        for e in AuditEvent.objects.filter(actor=user)
    ]


def _audit_erase(person: erasure.Person) -> int:
    """Blank any of the person's details found in the trail; the events themselves stay."""
    n = 0
    needles = [p.lower() for p in person.markers]
    if not needles:
        return 0
    for e in AuditEvent.objects.filter(actor=person.user).iterator():
        changed = False
        for k, v in list(e.data.items()):
            if isinstance(v, str) and any(x in v.lower() for x in needles):
                e.data[k] = erasure.ERASED
                changed = True
        if changed:
            e.save(update_fields=["data"])
            n += 1
    return n


def _emails_export(user):
    return [
        {"at": e.created_at.isoformat(), "subject": e.subject, "status": e.status}
        for e in OutgoingEmail.objects.filter(to__iexact=user.email).order_by("created_at")
    ]


def _emails_erase(person: erasure.Person) -> int:
    """The outbox's record of emails to the person goes (it holds their address)."""
    return OutgoingEmail.objects.filter(to__iexact=person.email).delete()[0]


AUDIT = erasure.Shredder(
    name="audit",
    order=90,
    covers=(
        erasure.Covers(
            AuditEvent,
            erased="data",
            kept={"actor": "the events stay, pointing at the anonymised account"},
        ),
    ),
    erase=_audit_erase,
    export=_audit_export,
)

EMAILS = erasure.Shredder(
    name="emails",
    order=95,
    covers=(erasure.Covers(OutgoingEmail, deleted="emails to her address"),),
    erase=_emails_erase,
    export=_emails_export,
)
