"""The periodic job ``relationships.reminders``: due check-ins, reminders, end-date prompts and
flags for the coordinator (registered in ``RelationshipsConfig.ready``, run by core's scheduler).

Idempotent: every send first claims a unique key (``core.jobs.once``) inside the transaction that
sends it, so running twice sends nothing twice; core's job lock keeps two runs apart.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from equimentor.core.jobs import once
from equimentor.matching.models import Proposal
from equimentor.relationships import emails, services
from equimentor.relationships.models import (
    CheckIn,
    Flag,
    Meeting,
    Membership,
    Relationship,
    RelationshipSettings,
)

log = logging.getLogger(__name__)
State = Relationship.State


def _settings(cache: dict, scheme) -> RelationshipSettings:
    if scheme.pk not in cache:
        cache[scheme.pk] = RelationshipSettings.for_scheme(scheme)
    return cache[scheme.pk]


def _open_relationships():
    return (
        Relationship.objects.filter(state__in=Relationship.OPEN_STATES)
        .select_related("scheme")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("participant__user"),
            )
        )
        .order_by("id")
    )


def run() -> Counter:
    """Do everything that is due now. Safe to run as often as you like."""
    done: Counter = Counter()
    cache: dict = {}
    today = services.today()
    now = timezone.now()
    for rel in _open_relationships():
        conf = _settings(cache, rel.scheme)
        try:
            _end_dates(rel, conf, today, done)
        except services.RelationshipError:  # changed under us; the next run sees it
            continue
        if rel.state in (State.CLOSED, State.PAUSED):
            continue
        _check_ins(rel, conf, today, now, done)
        _meetings_lapsing(rel, conf, now, done)
    _proposals_lapsing(cache, now, done)
    return done


def _end_dates(rel, conf, today, done) -> None:
    if rel.state in (State.ACTIVE, State.EXTENDED) and today >= rel.end_date - timedelta(
        days=conf.end_prompt_days
    ):
        services.mark_ending_due(rel, prompt_days=conf.end_prompt_days)
        rel.state = State.ENDING_DUE
        done["ending_due"] += 1
    if rel.state == State.ENDING_DUE:
        if today > rel.end_date:
            services.close(rel, reason=Relationship.CloseReason.COMPLETED, actor=None)
            rel.state = State.CLOSED
            done["closed_at_end"] += 1
            return
        for member in rel.active_members():
            if member.end_choice:
                continue
            with transaction.atomic():
                if once(f"end-prompt:{rel.pk}:{rel.end_date.isoformat()}:{member.pk}"):
                    emails.end_prompt(rel, member)
                    done["end_prompts"] += 1


def _check_ins(rel, conf, today, now, done) -> None:
    start = rel.start_date
    first = start + timedelta(days=conf.first_checkin_days)
    if today < first:
        return
    number = 1 + (today - first).days // max(conf.checkin_every_days, 1)
    due_on = first + timedelta(days=(number - 1) * conf.checkin_every_days)
    for member in rel.active_members():
        with transaction.atomic():
            if not once(f"check-in:{rel.pk}:{member.pk}:{number}"):
                continue
            item, created = CheckIn.objects.get_or_create(
                relationship=rel,
                participant=member.participant,
                number=number,
                defaults={"due_on": due_on, "sent_at": now},
            )
            if created:
                emails.check_in(item, member)
                done["check_ins"] += 1


def _meetings_lapsing(rel, conf, now, done) -> None:
    last = rel.last_met_at or rel.started_at
    if rel.paused_days and rel.last_met_at is None:
        last = rel.started_at + timedelta(days=rel.paused_days)
    days = (now - last).days
    nudge_days = conf.no_meeting_weeks * 7
    if days < nudge_days:
        return
    arranged = rel.meetings.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now).exists()
    if not arranged:
        period = days // nudge_days
        for member in rel.active_members():
            with transaction.atomic():
                if once(f"nudge:{rel.pk}:{last.date().isoformat()}:{period}:{member.pk}"):
                    emails.no_meeting_nudge(rel, member, conf.no_meeting_weeks)
                    done["nudges"] += 1
    if days >= conf.lapse_flag_weeks * 7:
        mentor = next((m for m in rel.mentors()), None)
        flag = services.raise_flag(
            rel.scheme,
            Flag.Kind.MEETINGS_LAPSED,
            f"meetings-lapsed:{rel.pk}:{last.date().isoformat()}",
            relationship=rel,
            participant=mentor.participant if mentor else None,
        )
        if flag:
            done["flags"] += 1


def _proposals_lapsing(cache, now, done) -> None:
    waiting = Proposal.objects.filter(
        status=Proposal.Status.PROPOSED, mentor_reply=""
    ).select_related("scheme", "mentor")
    for proposal in waiting:
        conf = _settings(cache, proposal.scheme)
        if proposal.proposed_at > now - timedelta(days=conf.proposal_lapse_days):
            continue
        flag = services.raise_flag(
            proposal.scheme,
            Flag.Kind.PROPOSAL_LAPSED,
            f"proposal-lapsed:{proposal.pk}",
            participant=proposal.mentor,
            proposal=proposal,
        )
        if flag:
            done["flags"] += 1
