"""Deterministic demo data for the directory: listings, choices, preferences and conflicts.

Popularity is skewed, as in AIMMS where the best-known mentors were often full: a few mentors
are chosen far beyond their capacity while others wait for a first choice.
"""

from __future__ import annotations

import random

from equimentor.core import audit
from equimentor.directory import ordering
from equimentor.directory.models import (
    Choice,
    Conflict,
    MenteePreference,
    MentorListing,
)
from equimentor.enrolment.models import Consent, Participant
from equimentor.schemes.models import Scheme

NOTES = [
    "Your work on fellowship applications is exactly where I need advice.",
    "I would value your experience of combining clinical work with research.",
    "We share research interests and I admire how you built your group.",
    "I am preparing a promotion case and would love your perspective.",
    "I am returning from leave and your profile speaks to that.",
]


def _weighted_pick(rng: random.Random, pool: list, weights: list[float], k: int) -> list:
    """``k`` distinct items drawn with the given weights (fewer if the pool is smaller)."""
    chosen: list = []
    items, w = list(pool), list(weights)
    while items and len(chosen) < k:
        i = rng.choices(range(len(items)), weights=w)[0]
        chosen.append(items.pop(i))
        w.pop(i)
    return chosen


def seed_directory(scheme: Scheme, rng: random.Random) -> dict[str, int]:
    """Listings for every mentor; choices, preferences and a few conflicts for mentees."""
    people = list(
        Participant.objects.filter(scheme=scheme).select_related("institution").order_by("pk")
    )
    mentors = [p for p in people if p.is_mentor]
    have = set(
        MentorListing.objects.filter(participant__in=mentors).values_list(
            "participant_id", flat=True
        )
    )
    listings = [
        MentorListing(
            participant=m,
            show_institution=rng.random() < 0.95,
            show_department=rng.random() < 0.95,
            show_career_summary=rng.random() < 0.9,
        )
        for m in mentors
        if m.pk not in have
    ]
    MentorListing.objects.bulk_create(listings)
    ordering.changed(scheme.pk)  # (bulk_create sends no signal)

    approved = Participant.Status.APPROVED
    listed = [m for m in mentors if m.status == approved]
    # Popularity: a shuffled order with weights falling off like 1/rank.
    order = list(listed)
    rng.shuffle(order)
    weight = {m.pk: 1.0 / (i + 1) ** 0.9 for i, m in enumerate(order)}
    consented = set(
        Consent.objects.filter(
            participant__scheme=scheme,
            purpose=Consent.Purpose.IDENTITY_MATCHING,
            withdrawn_at__isnull=True,
        ).values_list("participant_id", flat=True)
    )

    mentees = [p for p in people if p.is_mentee and p.status == approved]
    chosen_by: dict[int, set[int]] = {}
    choices, preferences = [], []
    for mentee in mentees:
        if rng.random() < 0.75:
            pool = [
                m
                for m in order
                if m.pk != mentee.pk
                and not (
                    scheme.different_institutions and m.institution_id == mentee.institution_id
                )
            ]
            k = rng.randint(1, min(3, scheme.max_choices))
            picked = _weighted_pick(rng, pool, [weight[m.pk] for m in pool], k)
            chosen_by[mentee.pk] = {m.pk for m in picked}
            for rank, mentor in enumerate(picked, 1):
                note = rng.choice(NOTES) if rng.random() < 0.3 else ""
                choices.append(Choice(mentee=mentee, mentor=mentor, rank=rank, note=note))
        wants = []
        if mentee.pk in consented and "ethnicity" in scheme.identity_dimensions:
            if rng.random() < 0.5:
                wants.append("ethnicity")
        if rng.random() < 0.3:
            wants.append("pathway")
        if rng.random() < 0.15:
            wants.append("specialty")
        if wants:
            preferences.append(MenteePreference(mentee=mentee, wants_shared=wants))
    Choice.objects.bulk_create(choices)
    MenteePreference.objects.bulk_create(preferences)

    conflicts = []
    reasons = list(Conflict.Reason.values)
    for mentee in rng.sample(mentees, min(len(mentees), rng.randint(2, 3))):
        candidates = [
            m for m in listed if m.pk != mentee.pk and m.pk not in chosen_by.get(mentee.pk, ())
        ]
        # A supervisor or line manager is usually at the same institution.
        local = [m for m in candidates if m.institution_id == mentee.institution_id]
        if candidates:
            mentor = rng.choice(local or candidates)
            reason = rng.choice(reasons[:2]) if local else rng.choice(reasons[2:])
            conflicts.append(Conflict(mentee=mentee, mentor=mentor, reason=reason))
    Conflict.objects.bulk_create(conflicts)

    counts = {
        "listings": len(listings),
        "choices": len(choices),
        "preferences": len(preferences),
        "conflicts": len(conflicts),
    }
    audit.record("demo.directory.seeded", scheme, scheme=scheme, **counts)
    return counts
