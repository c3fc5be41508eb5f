"""Counts a coordinator quotes, computed from the rows (never typed in)."""

from __future__ import annotations

from django.db.models import Count, Q

from equimentor.enrolment.models import ExpressionOfInterest, Participant
from equimentor.schemes.models import Scheme


def funnel(scheme: Scheme) -> dict[str, int]:
    """Expressions of interest → eligible → registered → approved, plus the other outcomes.

    People imported from a spreadsheet count as ``invited`` until they accept (reviewing the
    profile and consenting), then as registered and approved; never as expressions of interest."""
    eoi = ExpressionOfInterest.objects.filter(scheme=scheme).aggregate(
        expressed=Count("id"),
        eligible=Count("id", filter=Q(declared_eligible=True)),
        institutions=Count("institution", distinct=True),
    )
    status = Participant.objects.filter(scheme=scheme).aggregate(
        registered=Count("id", filter=~Q(status=Participant.Status.INVITED)),
        invited=Count("id", filter=Q(status=Participant.Status.INVITED)),
        approved=Count("id", filter=Q(status=Participant.Status.APPROVED)),
        awaiting=Count("id", filter=Q(status=Participant.Status.REGISTERED)),
        queried=Count("id", filter=Q(status=Participant.Status.QUERIED)),
        declined=Count("id", filter=Q(status=Participant.Status.DECLINED)),
        withdrawn=Count("id", filter=Q(status=Participant.Status.WITHDRAWN)),
        mentors=Count("id", filter=Q(is_mentor=True, status=Participant.Status.APPROVED)),
        mentees=Count("id", filter=Q(is_mentee=True, status=Participant.Status.APPROVED)),
    )
    return {**eoi, **status}


def conversion(numerator: int, denominator: int) -> str:
    """A percentage for display, or an en dash when there is nothing to divide by."""
    return f"{100 * numerator / denominator:.0f}%" if denominator else "–"
