"""Core's part of erasure: the audit trail, the outbox and the task queue (see ``core.erasure``)."""

from __future__ import annotations

import base64

from django.db.models import Q
from django_tasks_db.models import DBTaskResult

from equimentor.core import erasure
from equimentor.core.models import (
    AuditEvent,
    JobLock,
    OutgoingEmail,
    PeriodicJob,
    SentNotice,
    WorkerHeartbeat,
)


def _audit_export(user):
    return [
        {"at": e.at.isoformat(), "action": e.action, "object_type": e.object_type}
        for e in AuditEvent.objects.filter(actor=user)
    ]


def _audit_erase(person: erasure.Person) -> int:
    """Her address and name are replaced wherever the trail holds them (whoever the actor); the
    events themselves stay."""
    return person.scrub_rows(AuditEvent.objects.all(), ["data"])


def _emails_export(user):
    return [
        {"at": e.created_at.isoformat(), "subject": e.subject, "status": e.status}
        for e in OutgoingEmail.objects.filter(to__iexact=user.email).order_by("created_at")
    ]


def _scrub_attachments(person: erasure.Person, attachments: list) -> list:
    """Text attachments (calendar invitations name their attendees) with her details replaced."""
    out = []
    for item in attachments:
        name, content, mimetype = (list(item) + [None, None, None])[:3]
        if isinstance(content, str) and str(mimetype or "").startswith("text/"):
            try:
                text = base64.b64decode(content, validate=True).decode("utf-8")
            except ValueError:  # not base64, or not UTF-8 text
                text = None
            if text is not None:
                scrubbed = person.scrub(text)
                if scrubbed != text:
                    content = base64.b64encode(scrubbed.encode("utf-8")).decode("ascii")
        out.append([name, content, mimetype])
    return out


def _emails_erase(person: erasure.Person) -> int:
    """Emails to her go (they hold her address); emails to others that name her, not yet sent,
    have her address and name replaced (sent emails keep no body)."""
    n = OutgoingEmail.objects.filter(to__iexact=person.email).delete()[0]
    n += person.scrub_rows(OutgoingEmail.objects.all(), ["subject", "text", "html", "reason"])
    for email in OutgoingEmail.objects.exclude(attachments=[]).only("attachments").iterator():
        scrubbed = _scrub_attachments(person, email.attachments)
        if scrubbed != [list(a) for a in email.attachments]:
            email.attachments = scrubbed
            email.save(update_fields=["attachments"])
            n += 1
    return n


def _tasks_erase(person: erasure.Person) -> int:
    """Tasks whose arguments or result name her (asking for a sign-in link passes the address)
    are deleted, unless a worker is running one (it finishes, and the daily prune takes it)."""
    q = Q()
    for m in person.markers:
        q |= Q(args_kwargs__icontains=m) | Q(return_value__icontains=m)
    if not q:
        return 0
    return DBTaskResult.objects.filter(q).exclude(status="RUNNING").delete()[0]


MACHINERY = "the scheduler's and workers' state: job names, ids and machines, no one's data"

AUDIT = erasure.Shredder(
    name="audit",
    order=90,
    covers=(
        erasure.Covers(
            AuditEvent,
            erased="data",
            kept={
                "actor": "the events stay, pointing at the anonymised account",
                "action object_type object_id": "what happened to which object: codes and ids",
            },
        ),
        erasure.Covers(SentNotice, kept={"key": "once-only keys made of ids"}),
        erasure.Covers(JobLock, kept={"name holder": MACHINERY}),
        erasure.Covers(PeriodicJob, kept={"name last_outcome": MACHINERY}),
        erasure.Covers(WorkerHeartbeat, kept={"worker_id role hostname": MACHINERY}),
    ),
    erase=_audit_erase,
    export=_audit_export,
)

EMAILS = erasure.Shredder(
    name="emails",
    order=95,
    covers=(
        erasure.Covers(
            OutgoingEmail,
            deleted="emails to her address",
            erased="subject text html attachments reason",
            kept={
                "key template status claim": "the outbox's bookkeeping: ids and codes",
            },
        ),
    ),
    erase=_emails_erase,
    export=_emails_export,
)

TASKS = erasure.Shredder(
    name="tasks",
    order=96,
    covers=(
        erasure.Covers(
            DBTaskResult,
            deleted="tasks whose arguments or result name her",
            kept={
                "status task_path worker_ids queue_name backend_name exception_class_path": (
                    "the queue's bookkeeping: which task, where, how it ended"
                ),
                "traceback": "a failure's stack, made of code (the daily prune takes it)",
            },
        ),
    ),
    erase=_tasks_erase,
)
