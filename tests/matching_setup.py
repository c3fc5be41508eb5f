"""A small scheme ready for matching, built through the real services."""

from __future__ import annotations

from equimentor.directory.models import Choice
from tests import factories


def people(
    scheme, coordinator, *, mentors: int = 3, mentees: int = 4, capacity: int = 1, tag: str = ""
):
    """Approved mentors (each at their own institution) and mentees (at one shared institution).
    ``tag`` prefixes addresses, institutions and names, so one test can make several groups."""
    prefix = f"{tag}-" if tag else ""
    home = factories.InstitutionFactory(name=f"{tag} Home University".strip())
    mentor_rows = []
    for i in range(mentors):
        p = factories.register_participant(
            scheme,
            f"{prefix}mentor{i}@example.org",
            role="mentor",
            institution=factories.InstitutionFactory(name=f"{tag} Mentor U {i}".strip()),
            approve_by=coordinator,
            **({"full_name": f"{tag.title()} Mentor {i}"} if tag else {}),
        )
        p.career_stage = 4
        p.mentor_capacity = capacity
        p.research_interests = ["health services research", "genomics", "maternal health"][i % 3]
        p.save(update_fields=["career_stage", "mentor_capacity", "research_interests"])
        mentor_rows.append(p)
    mentee_rows = [
        factories.register_participant(
            scheme,
            f"{prefix}mentee{i}@example.org",
            role="mentee",
            institution=home,
            approve_by=coordinator,
            **({"full_name": f"{tag.title()} Mentee {i}"} if tag else {}),
        )
        for i in range(mentees)
    ]
    return mentor_rows, mentee_rows


def choose(mentee, *mentors):
    for rank, mentor in enumerate(mentors, start=1):
        Choice.objects.create(mentee=mentee, mentor=mentor, rank=rank)
