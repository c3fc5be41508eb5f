"""Subject access, erasure and retention. Each change is one transaction with one audit event.

Each app exports and erases what it holds about a person through the shredders it registers with
``core.erasure`` (``<app>/shredders.py``); this module runs them. Erasure anonymises rather than
deletes rows that reports count (participations, relationships, meetings, audit events), so
aggregate totals stay correct; free text and contact details are blanked, identity answers and
private notes are deleted. The audit trail keeps every event (that an action happened, when, of
what kind) with its actor pointing at the anonymised account.

Not exported (UK GDPR exemptions for other people's data): anything that would identify a reporter
(no case in which the person is the subject appears), other people's private notes, coordinators'
private notes about proposals written by the other side, and mentors' rankings of mentees.
Not erased: safeguarding cases the person is the subject of (kept for the retention period, as
safeguarding records), and the ``excluded`` links that keep such a case hidden from them; a case
she raised keeps its account of what happened, without her as reporter or her address and name in
its text. Each shredder declares, field by field, what it erases and what it keeps and why.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit, erasure, versions
from equimentor.enrolment.models import Participant, ParticipantImport
from equimentor.evaluation.models import ResponseImport
from equimentor.identity.services import erase_identity
from equimentor.privacy.models import RetentionSettings
from equimentor.safeguarding.models import Case, CaseEntry
from equimentor.schemes.models import Scheme


def export_person(user) -> dict:
    """Everything held about ``user``, machine-readable: each registered shredder's part, in
    their order (see the module's docstring for the exemptions)."""
    return {
        "generated_at": timezone.now().isoformat(),
        "format": "equimentor-subject-access/1",
        **erasure.export(user),
    }


@transaction.atomic
def erase_person(user, *, actor) -> dict:
    """Export, then erase, everything held about ``user``: every registered shredder in its
    order, in this one transaction with the audit event. Returns the export."""
    data = export_person(user)
    # her rows in every scheme she took part in change: their reports are no longer current
    for scheme_id in set(Participant.objects.filter(user=user).values_list("scheme_id", flat=True)):
        versions.changed(scheme_id)
    counts = erasure.erase(erasure.Person.of(user))
    audit.record(
        "privacy.person.erased",
        user,
        actor=actor if actor is not None and actor.pk != user.pk else None,
        **{f"{k}_rows": v for k, v in counts.items()},
    )
    return data


@transaction.atomic
def save_retention(scheme, values: dict, *, actor) -> RetentionSettings:
    conf = RetentionSettings.for_scheme(scheme)
    for k, v in values.items():
        setattr(conf, k, v)
    conf.save()
    audit.record("privacy.retention.saved", conf, actor=actor, scheme=scheme, **values)
    return conf


UPLOAD_HOURS = timedelta(hours=24)
FAILED_SIGN_IN_DAYS = timedelta(days=1)
"""How long a record of failed password sign-ins is kept (the throttle needs 15 minutes)."""


def _months(n: int) -> timedelta:
    return timedelta(days=round(n * 30.44))


def run_retention(now=None) -> Counter:
    """Delete or anonymise what is past each scheme's periods. Safe to run as often as you like."""

    now = now or timezone.now()
    done: Counter = Counter()
    gone = (Participant.Status.WITHDRAWN, Participant.Status.DECLINED)
    for scheme in Scheme.objects.all():
        conf = RetentionSettings.for_scheme(scheme)
        # Identity answers of people who left (or were found not eligible) long enough ago.
        cutoff = now - _months(conf.identity_months)
        leavers = Participant.objects.filter(
            scheme=scheme, status__in=gone, identity_answers__isnull=False
        ).distinct()
        for p in leavers:
            left = p.withdrawn_at or p.approved_at or p.registered_at
            if left <= cutoff:
                erase_identity(p, actor=None)
                done["identity"] += 1
        # Closed safeguarding cases: keep the category and dates (for trends), drop the rest.
        cutoff = now - _months(conf.closed_case_months)
        for case in Case.objects.filter(
            scheme=scheme, status=Case.Status.CLOSED, closed_at__lte=cutoff
        ).exclude(what_happened=""):
            with transaction.atomic():
                case.what_happened = ""
                case.reporter = None
                case.subject = None
                case.relationship = None
                case.key_hash = ""
                case.passphrase_hash = ""
                case.save()
                CaseEntry.objects.filter(case=case).update(body="", author=None)
                audit.record("privacy.retention.case_anonymised", case, actor=None)
            done["cases"] += 1
    # Inactive accounts: no participation still active, not staff, unused for the longest period
    # of the schemes they took part in.
    for user in User.objects.filter(
        is_active=True,
        is_superuser=False,
        staff_roles__isnull=True,
        site_administrator__isnull=True,
    ):
        parts = list(Participant.objects.filter(user=user).select_related("scheme"))
        if not parts or any(p.status not in gone for p in parts):
            continue
        months = max(RetentionSettings.for_scheme(p.scheme).inactive_account_months for p in parts)
        last = user.last_login or user.date_joined
        if last <= now - _months(months):
            erase_person(user, actor=None)
            done["accounts"] += 1
    # Failed password sign-ins (django-axes keeps the address and the account tried): only
    # needed while the cool-off lasts; kept a day so a burst can still be looked into.
    from axes.models import AccessAttempt

    cutoff = now - FAILED_SIGN_IN_DAYS
    deleted, _ = AccessAttempt.objects.filter(attempt_time__lte=cutoff).delete()
    if deleted:
        done["failed_sign_ins"] += deleted
    # Spreadsheets uploaded to import participants and never imported (an import deletes its
    # own): they hold people's details, so they go after a day.

    deleted, _ = ParticipantImport.objects.filter(created_at__lte=now - UPLOAD_HOURS).delete()
    done["import_uploads"] += deleted
    # and CSVs of questionnaire responses uploaded and never imported (free text may name people)

    deleted, _ = ResponseImport.objects.filter(created_at__lte=now - UPLOAD_HOURS).delete()
    done["import_uploads"] += deleted
    return done
