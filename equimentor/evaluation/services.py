"""Every change of evaluation state: questionnaires, invitations, anonymous responses, themes.

Responses are written by :func:`store_pending` (what participants submit, see
:func:`submit_response`) and :func:`import_responses` only; neither passes anything about the
person to the ``Response`` rows, and the audit trail records the questionnaire, never who answered
or when.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from equimentor.core import audit, sealed
from equimentor.enrolment.consents import has_consent
from equimentor.enrolment.models import Consent, Participant
from equimentor.evaluation import definitions, due, emails
from equimentor.evaluation.models import (
    Answer,
    EvaluationSettings,
    ImportMapping,
    Invitation,
    PendingResponse,
    Questionnaire,
    Response,
    Theme,
    ThemeTag,
)

SEAL = {"salt": b"equimentor.evaluation", "info": b"pending-response"}


class EvaluationError(Exception):
    """The change cannot be made as asked."""


def this_month(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


# -- questionnaires -------------------------------------------------------------------------------


@transaction.atomic
def install_template(scheme, template_code: str, *, actor, sending: bool = True) -> Questionnaire:
    """Copy a shipped template into the scheme as its editable questionnaire (version 1), with
    the identity-mirroring items of the identity questions the scheme asks. ``sending=False``
    adds it on hold (the coordinator's page does: nothing goes until they start it)."""
    template = definitions.shipped().get(template_code)
    if template is None:
        raise EvaluationError("No such template.")
    template = definitions.for_dimensions(template, scheme.identity_dimensions)
    if Questionnaire.objects.filter(scheme=scheme, code=template["code"]).exists():
        raise EvaluationError("This scheme already has that questionnaire.")
    q = Questionnaire.objects.create(
        scheme=scheme,
        code=template["code"],
        version=1,
        wave=template["wave"],
        title=template["title"],
        definition=template,
        source=f"{template['code']}@{template.get('version', 1)}",
        is_active=sending,
    )
    audit.record(
        "evaluation.questionnaire.installed",
        q,
        actor=actor,
        scheme=scheme,
        source=q.source,
        sending=sending,
    )
    return q


def install_shipped(scheme, *, actor, sending: bool = True) -> list[Questionnaire]:
    have = set(Questionnaire.objects.filter(scheme=scheme).values_list("code", flat=True))
    return [
        install_template(scheme, code, actor=actor, sending=sending)
        for code in definitions.shipped()
        if code not in have
    ]


@transaction.atomic
def save_definition(
    scheme, definition: dict, *, actor, is_active: bool | None = None
) -> Questionnaire:
    """Save ``definition`` as the next version of its questionnaire (or a new questionnaire).

    A new version is sent or held as the one it replaces was, unless ``is_active`` says; a new
    questionnaire is sent unless ``is_active=False`` (the coordinator's page adds it on hold)."""
    definition = definitions.validate(definition)
    latest = (
        Questionnaire.objects.select_for_update()
        .filter(scheme=scheme, code=definition["code"])
        .order_by("-version")
        .first()
    )
    if latest and latest.wave != definition["wave"]:
        raise EvaluationError("A questionnaire keeps its wave; make a new one instead.")
    version = (latest.version + 1) if latest else 1
    if is_active is None:
        is_active = latest.is_active if latest else True
    definition = {**definition, "version": version}
    q = Questionnaire.objects.create(
        scheme=scheme,
        code=definition["code"],
        version=version,
        wave=definition["wave"],
        title=definition["title"],
        definition=definition,
        source=latest.source if latest else "",
        is_active=is_active,
    )
    if latest:
        Questionnaire.objects.filter(scheme=scheme, code=q.code).exclude(pk=q.pk).update(
            is_active=False
        )
    audit.record("evaluation.questionnaire.saved", q, actor=actor, scheme=scheme, version=version)
    return q


def current_questionnaires(scheme) -> list[Questionnaire]:
    """The newest version of each questionnaire of the scheme."""
    latest = (
        Questionnaire.objects.filter(scheme=scheme)
        .values("code")
        .annotate(v=Max("version"))
        .values_list("code", "v")
    )
    wanted = {code: v for code, v in latest}
    rows = Questionnaire.objects.filter(scheme=scheme, code__in=wanted).order_by("wave", "code")
    return [q for q in rows if q.version == wanted[q.code]]


def _newest_for_update(questionnaire: Questionnaire) -> Questionnaire:
    return (
        Questionnaire.objects.select_for_update()
        .filter(scheme=questionnaire.scheme_id, code=questionnaire.code)
        .order_by("-version")
        .first()
    )


@transaction.atomic
def hold(questionnaire: Questionnaire, *, actor) -> bool:
    """Stop sending ``questionnaire`` (new invitations and reminders) until :func:`resume`.
    Returns whether it was being sent. Invitations already sent stay open to answer."""
    q = _newest_for_update(questionnaire)
    if not q.is_active:
        return False
    q.is_active = False
    q.save(update_fields=["is_active"])
    audit.record("evaluation.questionnaire.held", q, actor=actor, scheme=q.scheme)
    return True


@transaction.atomic
def resume(questionnaire: Questionnaire, *, actor) -> bool:
    """Send ``questionnaire`` again from the next tick: everyone due then is invited (a
    baseline whose window passed while it was held is not sent). Returns whether it was held."""
    q = _newest_for_update(questionnaire)
    if q.is_active:
        return False
    q.is_active = True
    q.save(update_fields=["is_active"])
    audit.record("evaluation.questionnaire.resumed", q, actor=actor, scheme=q.scheme)
    return True


def send_due(questionnaire: Questionnaire, *, actor, now=None) -> int:
    """Invite now everyone the questionnaire is due for (as the next tick would, even while it is
    held: the coordinator asked). Each invitation is its own transaction, sent once however often
    this runs. Returns how many were invited."""
    now = now or timezone.now()
    q = (
        Questionnaire.objects.filter(scheme=questionnaire.scheme_id, code=questionnaire.code)
        .select_related("scheme")
        .order_by("-version")
        .first()
    )
    conf = EvaluationSettings.for_scheme(q.scheme)
    rows = due.pending(q, conf, due.first_starts(q.scheme), due.sent_keys(q.scheme))
    sent = sum(
        1 for d in rows if d.sendable(now) and invite(q, d.participant, d.role, now=now, conf=conf)
    )
    audit.record("evaluation.questionnaire.sent_now", q, actor=actor, scheme=q.scheme, sent=sent)
    return sent


def send_now(questionnaire: Questionnaire, *, actor) -> int:
    """The coordinator's "Send now": how many people the questionnaire is due for now; if any,
    :func:`send_due` invites them in the background once this commits (a task, as the actor and
    through the API token of this request, if any, which its audit event names). Nobody due:
    nothing is sent, 0."""
    waiting = len(due.schedule(questionnaire, timezone.now()).due_now)
    if waiting:
        qid, uid, via = questionnaire.pk, actor.pk, audit.current_token()
        transaction.on_commit(lambda: _send_later(qid, uid, via), robust=True)
    return waiting


def _send_later(questionnaire_id: int, actor_id: int, via_token: int | None) -> None:
    from equimentor.evaluation import tasks

    tasks.send_due.enqueue(questionnaire_id, actor_id, via_token)


@transaction.atomic
def save_settings(conf: EvaluationSettings, *, actor) -> EvaluationSettings:
    conf.full_clean()
    conf.save()
    audit.record(
        "evaluation.settings.saved",
        conf,
        actor=actor,
        scheme=conf.scheme,
        threshold=conf.threshold,
        text_threshold=conf.text_threshold,
    )
    return conf


# -- invitations ------------------------------------------------------------------------------------


def may_be_asked(participant: Participant) -> bool:
    return participant.is_active and has_consent(participant, Consent.Purpose.EVALUATION)


def invite(questionnaire: Questionnaire, participant: Participant, role: str, *, now, conf):
    """Send ``questionnaire`` to ``participant`` once; None if already sent or not allowed."""
    if not may_be_asked(participant):
        return None
    try:
        with transaction.atomic():
            inv = Invitation.objects.create(
                questionnaire=questionnaire,
                participant=participant,
                code=questionnaire.code,
                role=role,
                sent_at=now,
                closes_on=timezone.localdate(now) + timedelta(days=conf.open_days),
            )
            audit.record(
                "evaluation.invitation.sent",
                inv,
                scheme=questionnaire.scheme,
                questionnaire_id=questionnaire.pk,
                participant_id=participant.pk,
                role=role,
            )
            emails.invitation(inv)
    except IntegrityError:
        return None
    return inv


@transaction.atomic
def remind(inv: Invitation, *, now) -> bool:
    inv = (
        Invitation.objects.select_for_update()
        .select_related("participant__user", "questionnaire__scheme")
        .get(pk=inv.pk)
    )
    if inv.has_responded or not may_be_asked(inv.participant):
        return False
    inv.reminders_sent += 1
    inv.last_reminded_at = now
    inv.save(update_fields=["reminders_sent", "last_reminded_at"])
    audit.record(
        "evaluation.invitation.reminded",
        inv,
        scheme=inv.questionnaire.scheme,
        number=inv.reminders_sent,
    )
    emails.reminder(inv)
    return True


# -- responses ------------------------------------------------------------------------------------


def _store(questionnaire: Questionnaire, role: str, values: dict, *, month, source) -> Response:
    response = Response.objects.create(
        questionnaire=questionnaire, role=role, month=month, source=source
    )
    Answer.objects.bulk_create(
        Answer(response=response, item=field, value=value, text=text)
        for field, (value, text) in values.items()
    )
    return response


@transaction.atomic
def submit_response(invitation: Invitation, values: dict[str, tuple]) -> None:
    """Mark the invitation as responded and keep the answers sealed until they are stored.

    The answers are not stored here: in this transaction they would share its id (PostgreSQL's
    ``xmin``), its place in the tables and its time with the invitation's change, which a DBA or
    a backup could join. They wait, sealed, as a :class:`PendingResponse` holding no link to the
    invitation, and :func:`store_pending` stores them later with others. Nothing goes to the
    audit trail here (the invitation's flag says that they answered, and nothing more).
    Returns nothing on purpose: the caller is never handed what is stored.
    """
    inv = (
        Invitation.objects.select_for_update()
        .select_related("questionnaire__scheme")
        .get(pk=invitation.pk)
    )
    if inv.has_responded:
        raise EvaluationError("You have already answered this questionnaire. Thank you.")
    if timezone.localdate() > inv.closes_on:
        raise EvaluationError("This questionnaire has closed.")
    if not may_be_asked(invitation.participant):
        raise EvaluationError("You are no longer taking part in the evaluation.")
    plain = json.dumps({field: [value, text] for field, (value, text) in values.items()})
    PendingResponse.objects.create(
        questionnaire=inv.questionnaire, role=inv.role, sealed=sealed.seal(plain.encode(), **SEAL)
    )
    inv.has_responded = True
    inv.save(update_fields=["has_responded"])
    questionnaire_id, role = inv.questionnaire_id, inv.role
    transaction.on_commit(lambda: _store_later(questionnaire_id, role), robust=True)


def _store_later(questionnaire_id: int, role: str) -> None:
    from equimentor.evaluation import tasks

    tasks.store_pending.enqueue(questionnaire_id, role)


def _batch_is_due(questionnaire: Questionnaire, role: str, waiting: int, k: int) -> bool:
    """Store once ``k`` answers wait (a batch at least as large as the smallest group results
    show), or when nobody else can still answer, so the last ones are not kept back for ever."""
    if waiting >= k:
        return True
    return not Invitation.objects.filter(
        questionnaire__scheme_id=questionnaire.scheme_id,
        code=questionnaire.code,
        role=role,
        has_responded=False,
        closes_on__gte=timezone.localdate(),
    ).exists()


def store_pending(questionnaire_id: int | None = None, role: str | None = None) -> int:
    """Store the answers waiting for each questionnaire and role whose batch is due; return how
    many were stored. Each batch is one transaction of its own, its responses created in random
    order (their ids are random too) with this month as their only date, and one audit event
    counts them. Safe to run at any time and more than once."""
    groups = PendingResponse.objects.values_list("questionnaire_id", "role").distinct()
    if questionnaire_id is not None:
        groups = groups.filter(questionnaire_id=questionnaire_id, role=role)
    stored = 0
    shuffle = random.SystemRandom().shuffle
    for qid, group_role in sorted(set(groups)):
        with transaction.atomic():
            waiting = list(
                PendingResponse.objects.select_for_update().filter(
                    questionnaire_id=qid, role=group_role
                )
            )
            if not waiting:
                continue
            questionnaire = Questionnaire.objects.select_related("scheme").get(pk=qid)
            k = EvaluationSettings.for_scheme(questionnaire.scheme).k
            if not _batch_is_due(questionnaire, group_role, len(waiting), k):
                continue
            shuffle(waiting)
            month = this_month()
            for pending in waiting:
                values = json.loads(sealed.unseal(pending.sealed, **SEAL))
                _store(
                    questionnaire,
                    group_role,
                    {field: tuple(pair) for field, pair in values.items()},
                    month=month,
                    source=Response.Source.WEB,
                )
            PendingResponse.objects.filter(pk__in=[p.pk for p in waiting]).delete()
            audit.record(
                "evaluation.responses.stored",
                questionnaire,
                scheme=questionnaire.scheme,
                count=len(waiting),
            )
            stored += len(waiting)
    return stored


@dataclass
class ImportedRow:
    row: int
    role: str
    month: date | None
    values: dict


@transaction.atomic
def import_responses(questionnaire: Questionnaire, rows: Iterable[ImportedRow], *, actor) -> int:
    """Store every row or none (the caller has checked them: see ``importer.check``)."""
    count = 0
    for row in rows:
        _store(questionnaire, row.role, row.values, month=row.month, source=Response.Source.IMPORT)
        count += 1
    audit.record(
        "evaluation.responses.imported",
        questionnaire,
        actor=actor,
        scheme=questionnaire.scheme,
        count=count,
    )
    return count


@transaction.atomic
def save_import_mapping(
    scheme, code: str, name: str, *, columns: dict, values: dict, role: str = "", actor
) -> ImportMapping:
    """Save (or replace) the scheme's mapping ``name`` of questionnaire ``code``."""
    name = " ".join(name.split())[:100]
    if not name:
        raise EvaluationError("Give the mapping a name.")
    if role not in ("", *definitions.ROLES):
        raise EvaluationError("The role is mentee or mentor.")
    saved, created = ImportMapping.objects.update_or_create(
        scheme=scheme,
        code=code,
        name=name,
        defaults={
            "columns": columns,
            "values": values,
            "role": role,
            "updated_at": timezone.now(),
            "updated_by": actor,
        },
    )
    audit.record(
        "evaluation.import_mapping.saved",
        saved,
        actor=actor,
        scheme=scheme,
        questionnaire=code,
        created=created,
        columns=len(columns),
        mapped_answers=sum(len(v) for v in values.values()),
    )
    return saved


@transaction.atomic
def delete_import_mapping(saved: ImportMapping, *, actor) -> None:
    audit.record(
        "evaluation.import_mapping.deleted",
        saved,
        actor=actor,
        scheme=saved.scheme,
        questionnaire=saved.code,
    )
    saved.delete()


# -- theme coding ---------------------------------------------------------------------------------


@transaction.atomic
def add_theme(scheme, item: str, label: str, description: str = "", *, actor) -> Theme:
    label = label.strip()
    if not label:
        raise EvaluationError("Give the theme a name.")
    if Theme.objects.filter(scheme=scheme, item=item, label__iexact=label).exists():
        raise EvaluationError("That theme is already in the codebook.")
    theme = Theme.objects.create(scheme=scheme, item=item, label=label, description=description)
    audit.record("evaluation.theme.added", theme, actor=actor, scheme=scheme, item=item)
    return theme


@transaction.atomic
def tag_answer(answer: Answer, themes: list[Theme], *, actor, scheme) -> None:
    """Set the themes of one free-text answer (several allowed)."""
    if any(t.scheme_id != scheme.pk or t.item != answer.item.split(".")[0] for t in themes):
        raise EvaluationError("Those themes belong to another question.")
    ThemeTag.objects.filter(answer=answer).exclude(theme__in=themes).delete()
    for theme in themes:
        ThemeTag.objects.get_or_create(answer=answer, theme=theme)
    audit.record(
        "evaluation.answer.coded",
        answer,
        actor=actor,
        scheme=scheme,
        theme_ids=sorted(t.pk for t in themes),
    )


def record_export(questionnaire_or_scheme, *, actor, scheme, fmt: str) -> None:
    with transaction.atomic():
        audit.record(
            "evaluation.exported", questionnaire_or_scheme, actor=actor, scheme=scheme, format=fmt
        )
