"""The induction pack: versions, items, each person's progress, the coordinator's view of who is
held back by what, and reminders. Every change records an audit event.

A pack is edited as a draft (a copy of the current version's items) and published as the next
version. An item keeps its ``key`` across versions; a person's completion records the key and the
item's content hash, so after a new version only the items whose content changed (or that are
new) are asked for again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from equimentor.core import audit
from equimentor.core.models import OutgoingEmail
from equimentor.enrolment.models import Participant
from equimentor.training import emails
from equimentor.training.models import (
    InductionItem,
    InductionPack,
    ItemCompletion,
    TrainingSettings,
)

Kind = InductionItem.Kind


class InductionError(Exception):
    """An induction change that cannot be made, with a message for the person."""


@dataclass
class ItemData:
    kind: str
    title: str
    body: str = ""
    url: str = ""
    options: list[str] = field(default_factory=list)
    correct_option: int | None = None
    audience: str = InductionItem.Audience.BOTH
    required: bool = True
    position: int | None = None


def current_pack(scheme) -> InductionPack | None:
    """The published version in force (``scheme`` a scheme or its id), or None."""
    scheme_id = getattr(scheme, "pk", scheme)
    return InductionPack.objects.filter(scheme_id=scheme_id, is_current=True).first()


def draft_pack(scheme) -> InductionPack | None:
    return InductionPack.objects.filter(scheme=scheme, published_at__isnull=True).first()


@transaction.atomic
def start_draft(scheme, *, actor) -> InductionPack:
    """A draft of the next version, holding a copy of the current version's items."""
    if draft_pack(scheme) is not None:
        raise InductionError("A draft of the next version is already open: edit or publish it.")
    last = InductionPack.objects.filter(scheme=scheme).aggregate(v=Max("version"))["v"] or 0
    draft = InductionPack.objects.create(scheme=scheme, version=last + 1)
    current = current_pack(scheme)
    if current is not None:
        for item in current.items.all():
            item.pk = None
            item.pack = draft
            item.save()
    audit.record(
        "training.induction.draft_started", draft, actor=actor, scheme=scheme, version=draft.version
    )
    return draft


def _check(data: ItemData) -> None:
    if data.kind not in Kind.values:
        raise InductionError("Choose what kind of item it is.")
    if not data.title.strip():
        raise InductionError("Give the item a title.")
    if data.kind == Kind.DOCUMENT and not data.body.strip():
        raise InductionError("Write the document's text.")
    if data.kind in (Kind.LINK, Kind.WEBINAR) and not data.url.strip():
        raise InductionError("Give the address of the resource or the recording.")
    if data.kind == Kind.QUESTION:
        if not data.body.strip():
            raise InductionError("Write the question or the statement to acknowledge.")
        options = [o for o in data.options if o.strip()]
        if len(options) == 1:
            raise InductionError("A quiz question needs at least two answers (or none at all).")
        if options and (data.correct_option is None or not 0 <= data.correct_option < len(options)):
            raise InductionError("Say which answer is right.")
    if data.audience not in InductionItem.Audience.values:
        raise InductionError("Choose who the item is for.")


def _key(pack: InductionPack, title: str) -> str:
    base = slugify(title)[:50] or "item"
    taken = set(pack.items.values_list("key", flat=True))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def save_item(pack: InductionPack, data: ItemData, *, item: InductionItem | None = None, actor):
    """Add an item to a draft, or change one of its items."""
    pack = InductionPack.objects.select_for_update().get(pk=pack.pk)
    if not pack.is_draft:
        raise InductionError("Published versions do not change: start a new version to edit.")
    _check(data)
    if item is None:
        item = InductionItem(pack=pack, key=_key(pack, data.title))
        last = pack.items.aggregate(p=Max("position"))["p"]
        item.position = (last or 0) + 1
    elif item.pack_id != pack.pk:
        raise InductionError("No such item in this draft.")
    item.kind = data.kind
    item.title = data.title.strip()
    item.body = data.body.strip()
    item.url = data.url.strip() if data.kind != Kind.QUESTION else ""
    item.options = (
        [o.strip() for o in data.options if o.strip()] if data.kind == Kind.QUESTION else []
    )
    item.correct_option = data.correct_option if item.options else None
    item.audience = data.audience
    item.required = data.required
    if data.position is not None:
        item.position = data.position
    item.save()
    audit.record(
        "training.induction.item_saved",
        item,
        actor=actor,
        scheme=pack.scheme,
        pack_version=pack.version,
        key=item.key,
        kind=item.kind,
        required=item.required,
    )
    return item


@transaction.atomic
def delete_item(item: InductionItem, *, actor) -> None:
    pack = (
        InductionPack.objects.select_for_update(of=("self",))
        .select_related("scheme")
        .get(pk=item.pack_id)
    )
    if not pack.is_draft:
        raise InductionError("Published versions do not change: start a new version to edit.")
    audit.record(
        "training.induction.item_removed",
        item,
        actor=actor,
        scheme=pack.scheme,
        pack_version=pack.version,
        key=item.key,
    )
    item.delete()


@transaction.atomic
def publish(pack: InductionPack, *, actor) -> InductionPack:
    """Make a draft the current version. Items it kept unchanged stay done for everyone."""
    pack = (
        InductionPack.objects.select_for_update(of=("self",))
        .select_related("scheme")
        .get(pk=pack.pk)
    )
    if not pack.is_draft:
        raise InductionError("This version is already published.")
    if not pack.items.exists():
        raise InductionError("Add at least one item before publishing.")
    InductionPack.objects.filter(scheme=pack.scheme, is_current=True).update(is_current=False)
    pack.is_current = True
    pack.published_at = timezone.now()
    pack.save(update_fields=["is_current", "published_at"])
    audit.record(
        "training.induction.published",
        pack,
        actor=actor,
        scheme=pack.scheme,
        version=pack.version,
        items=pack.items.count(),
    )
    return pack


@transaction.atomic
def save_settings(scheme, *, mentors_must_complete: bool, mentees_must_complete: bool, actor):
    conf = TrainingSettings.for_scheme(scheme)
    conf.mentors_must_complete = mentors_must_complete
    conf.mentees_must_complete = mentees_must_complete
    conf.save()
    audit.record(
        "training.settings.saved",
        conf,
        actor=actor,
        scheme=scheme,
        mentors_must_complete=mentors_must_complete,
        mentees_must_complete=mentees_must_complete,
    )
    return conf


# -- a person's pack -----------------------------------------------------------------------------


@dataclass
class Step:
    item: InductionItem
    done_at: object = None  # when, if done as it reads now


@dataclass
class Progress:
    pack: InductionPack | None
    steps: list[Step]

    @property
    def required(self) -> list[Step]:
        return [s for s in self.steps if s.item.required]

    @property
    def required_done(self) -> int:
        return sum(1 for s in self.required if s.done_at)

    @property
    def complete(self) -> bool:
        return self.required_done == len(self.required)

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done_at)


def progress(participant: Participant) -> Progress:
    """The current pack's items for this person's role(s), each with when it was done."""
    pack = current_pack(participant.scheme_id)
    if pack is None:
        return Progress(None, [])
    items = [i for i in pack.items.all() if i.is_for(participant)]
    done = {
        (c.key, c.content_hash): c.completed_at
        for c in ItemCompletion.objects.filter(
            participant=participant, key__in=[i.key for i in items]
        )
    }
    return Progress(pack, [Step(i, done.get((i.key, i.content_hash))) for i in items])


@transaction.atomic
def complete_item(
    participant: Participant,
    item: InductionItem,
    *,
    answer: int | None = None,
    acknowledged: bool = False,
    actor,
) -> ItemCompletion:
    """Mark an item done. A quiz question is done when answered rightly (a wrong answer is not
    kept); an acknowledgement when confirmed."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("scheme")
        .get(pk=participant.pk)
    )
    pack = InductionPack.objects.get(pk=item.pack_id)  # as it is now, not as it was read
    if not pack.is_current or pack.scheme_id != participant.scheme_id:
        raise InductionError("This item is not in your scheme's current induction pack.")
    if not participant.is_active:
        raise InductionError("You are no longer taking part in this scheme.")
    if not item.is_for(participant):
        raise InductionError("This item is not part of your induction.")
    if item.kind == Kind.QUESTION:
        if item.options:
            if answer is None:
                raise InductionError("Choose an answer.")
            if answer != item.correct_option:
                raise InductionError("That is not quite right. Have another look and try again.")
        elif not acknowledged:
            raise InductionError("Tick the box to confirm.")
    completion, created = ItemCompletion.objects.get_or_create(
        participant=participant,
        key=item.key,
        content_hash=item.content_hash,
        defaults={"pack": pack, "completed_at": timezone.now()},
    )
    if created:
        audit.record(
            "training.induction.item_done",
            completion,
            actor=actor,
            scheme=participant.scheme,
            key=item.key,
            pack_version=pack.version,
        )
    return completion


# -- the coordinator's view ----------------------------------------------------------------------


@dataclass
class Holdup:
    participant: Participant
    missing: list[InductionItem]
    gated: list[str]  # what it holds them back from, in words


def _people(scheme):
    return (
        Participant.objects.filter(scheme=scheme, status=Participant.Status.APPROVED)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )


def _done_keys(scheme, pack) -> dict[int, set[tuple[str, str]]]:
    keys = [i.key for i in pack.items.all()]
    done = defaultdict(set)
    for pid, key, h in ItemCompletion.objects.filter(
        participant__scheme=scheme, key__in=keys
    ).values_list("participant_id", "key", "content_hash"):
        done[pid].add((key, h))
    return done


def holdups(scheme) -> tuple[InductionPack | None, list[Holdup]]:
    """Approved participants who have not done every required item for their role(s), with the
    items missing and what the scheme's settings hold them back from. In three queries."""
    pack = current_pack(scheme)
    if pack is None:
        return None, []
    conf = TrainingSettings.for_scheme(scheme)
    items = [i for i in pack.items.all() if i.required]
    done = _done_keys(scheme, pack)
    rows = []
    for p in _people(scheme):
        missing = [i for i in items if i.is_for(p) and (i.key, i.content_hash) not in done[p.pk]]
        if not missing:
            continue
        gated = []
        mentor_missing = any(i.audience != InductionItem.Audience.MENTEES for i in missing)
        mentee_missing = any(i.audience != InductionItem.Audience.MENTORS for i in missing)
        if p.is_mentor and conf.mentors_must_complete and mentor_missing:
            gated.append("the directory and matching (as a mentor)")
        if p.is_mentee and conf.mentees_must_complete and mentee_missing:
            gated.append("ranking mentors and matching (as a mentee)")
        rows.append(Holdup(p, missing, gated))
    return pack, rows


def completion_by_item(scheme) -> list[dict]:
    """For each item of the current pack: how many of the approved participants it is for have
    done it as it reads now. In three queries."""
    pack = current_pack(scheme)
    if pack is None:
        return []
    people = list(_people(scheme))
    done = _done_keys(scheme, pack)
    out = []
    for item in pack.items.all():
        audience = [p for p in people if item.is_for(p)]
        n = sum(1 for p in audience if (item.key, item.content_hash) in done[p.pk])
        out.append({"item": item, "done": n, "of": len(audience)})
    return out


def remind(scheme, *, actor, only: list[int] | None = None) -> int:
    """Email everyone with required items missing (or those of ``only``) a reminder listing
    them. Asked twice the same day, a person is emailed once."""
    pack, rows = holdups(scheme)
    if only is not None:
        rows = [r for r in rows if r.participant.pk in set(only)]
    today = timezone.localdate().isoformat()
    keys = {
        r.participant.pk: emails.induction_reminder_key(r.participant, pack, today) for r in rows
    }
    sent = set(OutgoingEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    rows = [r for r in rows if keys[r.participant.pk] not in sent]
    with transaction.atomic():
        for row in rows:
            emails.induction_reminder(
                row.participant, pack, row.missing, row.gated, key=keys[row.participant.pk]
            )
        if rows:
            audit.record(
                "training.induction.reminded",
                pack,
                actor=actor,
                scheme=scheme,
                people=len(rows),
            )
    return len(rows)
