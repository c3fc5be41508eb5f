"""Object-level access to evaluation: one helper per object kind.

Participants reach only their own invitations. Analysis and exports: coordinators and evaluators
of the scheme. Committee members see suppressed numbers, never free text. Coding: evaluators.
"""

from __future__ import annotations

from django.http import Http404

from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.evaluation.models import ImportMapping, Invitation, Questionnaire

ANALYSTS = (Role.COORDINATOR, Role.EVALUATOR)
READERS = (Role.COORDINATOR, Role.EVALUATOR, Role.COMMITTEE)
CODERS = (Role.EVALUATOR,)


def get_own_invitation(user, slug: str, pk: int) -> Invitation:
    participant = get_own_participation(user, slug)
    inv = (
        Invitation.objects.select_related("questionnaire__scheme", "participant")
        .filter(pk=pk, participant=participant)
        .first()
    )
    if inv is None:
        raise Http404("No such questionnaire.")
    return inv


def sees_free_text(staff) -> bool:
    """Does the reader ``staff.access.scheme_staff`` resolved see free-text answers?"""
    return staff.has(*ANALYSTS)


def get_questionnaire(scheme, code: str) -> Questionnaire:
    q = Questionnaire.objects.filter(scheme=scheme, code=code).order_by("-version").first()
    if q is None:
        raise Http404("No such questionnaire.")
    return q


def get_import_mapping(scheme, pk: int) -> ImportMapping:
    """A saved import mapping of the scheme (the caller is one of its analysts)."""
    saved = ImportMapping.objects.filter(scheme=scheme, pk=pk).first()
    if saved is None:
        raise Http404("No such mapping.")
    return saved


def import_mappings(scheme):
    """The scheme's saved import mappings, and no other scheme's."""
    return ImportMapping.objects.filter(scheme=scheme).order_by("code", "name")
