"""Demo safeguarding: the scheme's formal routes and two cases for the lead to work on.

The named case is about a mentor (its subject), so the lead can try every action on it, suspending
and lifting included. Neither case is about the demo mentor or mentee, so signing in as them shows
no trace of a case, as it must be for the subject of a concern.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from equimentor.relationships.models import Relationship
from equimentor.safeguarding import services
from equimentor.safeguarding.models import Case

ROUTES = [
    (
        "Freedom to Speak Up Guardian (NHS staff)",
        "Each NHS trust has a Guardian: ask your trust's intranet or HR.",
    ),
    (
        "University dignity at work contacts",
        "Your university's HR team lists its dignity at work advisers and "
        "its procedure for bullying and harassment.",
    ),
    (
        "Report and Support",
        "Many universities run an online Report and Support service, named or anonymous.",
    ),
]


def seed_safeguarding(scheme, lead, rng: random.Random) -> None:
    for name, details in ROUTES:
        services.save_route(scheme, name=name, details=details, actor=lead)
    demo_people = {"mentor@demo.equimentor.org", "mentee@demo.equimentor.org"}
    relationships = [
        rel
        for rel in Relationship.objects.filter(scheme=scheme)
        .order_by("pk")
        .prefetch_related("memberships__participant__user")
        if not demo_people & {m.participant.user.email for m in rel.memberships.all()}
    ]
    rel = rng.choice(relationships)
    mentee = next(m for m in rel.memberships.all() if m.side == "mentee").participant
    mentor = next(m for m in rel.memberships.all() if m.side == "mentor").participant
    named, _ = services.raise_concern(
        mentee.user,
        scheme,
        services.Concern(
            category=Case.Category.BOUNDARIES,
            what_happened="My mentor keeps suggesting we meet for dinner rather than on a video call, "
            "and messages me late in the evening. I would like to keep things professional.",
            wants=Case.Wants.TALK,
            relationship=rel,
            subject=mentor.user,
        ),
    )
    services.set_status(named, Case.Status.ACKNOWLEDGED, actor=lead)
    anonymous, _ = services.raise_concern(
        None,
        scheme,
        services.Concern(
            category=Case.Category.WELLBEING,
            what_happened="I am finding the workload very hard and do not know who to talk to at my institution.",
            wants=Case.Wants.RECORD,
            anonymous=True,
            passphrase=f"demo passphrase {rng.randint(1000, 9999)}",
        ),
    )
    # Ten days ago: the anonymous case is now overdue for acknowledgement, as a lead would see it.
    Case.objects.filter(pk=anonymous.pk).update(
        received_on=timezone.localdate() - timedelta(days=10)
    )
    Case.objects.filter(pk=named.pk).update(received_on=timezone.localdate() - timedelta(days=4))
