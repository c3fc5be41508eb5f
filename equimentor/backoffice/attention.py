"""What needs a coordinator's attention in a scheme, read in a fixed number of queries: proposals
waiting for a reply, mentees who have not ranked while a round collects choices, relationships
whose members asked for contact or have not met for a long time, registrations to review and,
for safeguarding leads only, how many cases are past a deadline (a count, nothing more).

Where a reminder helps, ``recipients`` says who would get one; ``services.remind`` sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from equimentor.backoffice.models import NUDGE_GAP, Nudge
from equimentor.core.roles import Role
from equimentor.directory.models import Choice
from equimentor.enrolment.models import Participant
from equimentor.matching.adapter import eligible_mentees
from equimentor.matching.models import Proposal
from equimentor.matching.queries import latest_round
from equimentor.relationships.models import Flag, Membership
from equimentor.safeguarding.access import overdue_cases

WAITING = timedelta(days=7)  # a proposal unanswered this long needs a nudge


@dataclass
class Item:
    key: str
    label: str
    count: int
    url: str
    remind: str = ""  # a Nudge kind when a bulk reminder helps
    reminded_recently: int = 0  # of those, reminded within NUDGE_GAP (skipped by a reminder)


def waiting_proposals(scheme, now):
    return Proposal.objects.filter(
        scheme=scheme, status=Proposal.Status.PROPOSED, proposed_at__lte=now - WAITING
    )


def unranked_mentees(scheme):
    """Mentees a collecting round would match who have ranked nobody (none when no round is
    collecting choices)."""
    current = latest_round(scheme)
    if current is None or not current.is_collecting:
        return Participant.objects.none(), None
    ranked = Choice.objects.filter(mentee=OuterRef("pk"))
    return eligible_mentees(scheme).filter(~Exists(ranked)), current


def open_flags(scheme, kind):
    return Flag.objects.filter(scheme=scheme, kind=kind, resolved_at__isnull=True)


def recipients(scheme, kind: str, now=None) -> list[tuple[Participant, object]]:
    """(person, what the reminder is about) for a reminder of ``kind``, each person once."""
    now = now or timezone.now()
    out: dict[int, tuple[Participant, object]] = {}
    if kind == Nudge.Kind.PROPOSAL_REPLY:
        for p in waiting_proposals(scheme, now).select_related(
            "mentee__user", "mentor__user", "scheme"
        ):
            if not p.mentor_reply:
                out.setdefault(p.mentor_id, (p.mentor, p))
            if not p.mentee_reply:
                out.setdefault(p.mentee_id, (p.mentee, p))
    elif kind == Nudge.Kind.RANK_CHOICES:
        mentees, current = unranked_mentees(scheme)
        for m in mentees.select_related("user"):
            out.setdefault(m.pk, (m, current))
    elif kind == Nudge.Kind.MEET_AGAIN:
        lapsed = open_flags(scheme, Flag.Kind.MEETINGS_LAPSED).values("relationship_id")
        for m in Membership.objects.filter(
            relationship__in=lapsed, left_at__isnull=True
        ).select_related("participant__user", "relationship"):
            out.setdefault(m.participant_id, (m.participant, m.relationship))
    else:
        raise ValueError(f"No such reminder: {kind}")
    return sorted(out.values(), key=lambda pair: (pair[0].user.full_name, pair[0].pk))


def recently_reminded(scheme, kind: str, people, now) -> set[int]:
    """Ids of ``people`` reminded of ``kind`` within ``NUDGE_GAP`` (a reminder skips them)."""
    return set(
        Nudge.objects.filter(
            scheme=scheme, kind=kind, participant__in=people, sent_at__gte=now - NUDGE_GAP
        ).values_list("participant_id", flat=True)
    )


def _recent_counts(scheme, now) -> dict[str, int]:
    rows = (
        Nudge.objects.filter(scheme=scheme, sent_at__gte=now - NUDGE_GAP)
        .values("kind")
        .annotate(n=Count("participant", distinct=True))
    )
    return {r["kind"]: r["n"] for r in rows}


def overview(scheme, staff, user, now=None) -> list[Item]:
    """Everything that needs attention now, most urgent first; items with nothing are left out."""
    now = now or timezone.now()
    slug = scheme.slug
    items: list[Item] = []
    if staff.has(Role.SAFEGUARDING):
        n = overdue_cases(staff, user).count()
        items.append(
            Item(
                "safeguarding",
                "safeguarding cases past a deadline",
                n,
                reverse("safeguarding:cases", args=[slug]),
            )
        )
    flags = dict(
        Flag.objects.filter(
            scheme=scheme,
            resolved_at__isnull=True,
            kind__in=[Flag.Kind.CONTACT_REQUESTED, Flag.Kind.MEETINGS_LAPSED],
        )
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    relationships = reverse("relationships:manage_list", args=[slug])
    items.append(
        Item(
            "contact",
            "check-ins asking the coordinator to get in touch",
            flags.get(Flag.Kind.CONTACT_REQUESTED, 0),
            relationships + "?flag=contact_requested",
        )
    )
    waiting = waiting_proposals(scheme, now).aggregate(
        any=Count("pk", filter=Q(mentor_reply="") | Q(mentee_reply="")),
        mentor=Count("pk", filter=Q(mentor_reply="")),
        mentee=Count("pk", filter=Q(mentee_reply="")),
    )
    items.append(
        Item(
            "proposals",
            f"proposals waiting more than {WAITING.days} days for a reply "
            f"({waiting['mentor']} for the mentor's, {waiting['mentee']} for the mentee's)",
            waiting["any"],
            reverse("matching:proposals", args=[slug]) + "?status=proposed",
            Nudge.Kind.PROPOSAL_REPLY,
        )
    )
    mentees, current = unranked_mentees(scheme)
    items.append(
        Item(
            "unranked",
            f"mentees who have ranked no mentor while “{current.name}” collects choices"
            if current
            else "mentees who have ranked no mentor",
            mentees.count() if current else 0,
            reverse("backoffice:attention", args=[slug, Nudge.Kind.RANK_CHOICES]),
            Nudge.Kind.RANK_CHOICES,
        )
    )
    items.append(
        Item(
            "lapsed",
            "relationships with no meeting for a long time",
            flags.get(Flag.Kind.MEETINGS_LAPSED, 0),
            relationships + "?flag=meetings_lapsed",
            Nudge.Kind.MEET_AGAIN,
        )
    )
    items.append(
        Item(
            "registrations",
            "registrations to review",
            Participant.objects.filter(scheme=scheme, status=Participant.Status.REGISTERED).count(),
            reverse("backoffice:registrations", args=[slug]) + "?status=registered",
        )
    )
    recent = _recent_counts(scheme, now)
    for item in items:
        if item.remind:
            item.reminded_recently = recent.get(item.remind, 0)
    return [item for item in items if item.count]
