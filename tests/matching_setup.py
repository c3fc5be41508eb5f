"""A small scheme ready for matching, built through the real services."""

from __future__ import annotations

from equimentor.directory.models import Choice
from tests import factories


def people(scheme, coordinator, *, mentors: int = 3, mentees: int = 4, capacity: int = 1):
    """Approved mentors (each at their own institution) and mentees (at one shared institution)."""
    home = factories.InstitutionFactory(name="Home University")
    mentor_rows = []
    for i in range(mentors):
        p = factories.register_participant(
            scheme,
            f"mentor{i}@example.org",
            role="mentor",
            institution=factories.InstitutionFactory(name=f"Mentor U {i}"),
            approve_by=coordinator,
        )
        p.career_stage = 4
        p.mentor_capacity = capacity
        p.research_interests = ["health services research", "genomics", "maternal health"][i % 3]
        p.save(update_fields=["career_stage", "mentor_capacity", "research_interests"])
        mentor_rows.append(p)
    mentee_rows = [
        factories.register_participant(
            scheme,
            f"mentee{i}@example.org",
            role="mentee",
            institution=home,
            approve_by=coordinator,
        )
        for i in range(mentees)
    ]
    return mentor_rows, mentee_rows


def choose(mentee, *mentors):
    for rank, mentor in enumerate(mentors, start=1):
        Choice.objects.create(mentee=mentee, mentor=mentor, rank=rank)
