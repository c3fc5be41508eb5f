"""Object-level access to evaluation: one helper per object kind.

Participants reach only their own invitations. Analysis and exports: coordinators and evaluators
of the scheme. Committee members see suppressed numbers, never free text. Coding: evaluators.
"""

from __future__ import annotations

from django.http import Http404

from equimentor.enrolment.access import get_own_participation
from equimentor.evaluation.models import Invitation, Questionnaire
from equimentor.schemes.access import get_scheme_for_staff, has_role

ANALYSTS = ("coordinator", "evaluator")
READERS = ("coordinator", "evaluator", "committee")
CODERS = ("evaluator",)


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


def get_scheme_for_analysis(user, slug: str):
    return get_scheme_for_staff(user, slug, *ANALYSTS)


def get_scheme_for_results(user, slug: str):
    return get_scheme_for_staff(user, slug, *READERS)


def get_scheme_for_coding(user, slug: str):
    return get_scheme_for_staff(user, slug, *CODERS)


def sees_free_text(user, scheme) -> bool:
    return has_role(user, scheme, *ANALYSTS)


def get_questionnaire(scheme, code: str) -> Questionnaire:
    q = Questionnaire.objects.filter(scheme=scheme, code=code).order_by("-version").first()
    if q is None:
        raise Http404("No such questionnaire.")
    return q
