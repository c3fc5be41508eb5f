"""Object-level access to sessions: one helper per object kind, shared by pages and any API.

A coordinator reaches the sessions of the scheme ``staff.access.scheme_staff`` resolved; a
participant reaches a session of their own scheme that is open to them (its audience includes
them) or that they registered for.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404

from equimentor.enrolment.access import get_own_participation
from equimentor.training.models import FeedbackInvitation, InductionItem, Registration, Session
from equimentor.training.services import audience_filter


def get_session_for_coordinator(scheme, pk: int) -> Session:
    session = (
        Session.objects.select_related("scheme", "series").filter(scheme=scheme, pk=pk).first()
    )
    if session is None:
        raise PermissionDenied("No such session in this scheme.")
    return session


def sessions_for_participant(participant):
    """Sessions the participant may see: open to them, or registered for at some time."""
    mine = Registration.objects.filter(participant=participant).values("session_id")
    return (
        Session.objects.filter(scheme=participant.scheme_id)
        .filter(audience_filter(participant) | Q(pk__in=mine))
        .distinct()
    )


def with_counts(sessions):
    """The sessions with their places taken (``n_confirmed``) and their waiting list
    (``n_waiting``) counted, and their series: what the pages and the API show of each."""
    confirmed, waitlisted = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED
    return sessions.annotate(
        n_confirmed=Count("registrations", filter=Q(registrations__status=confirmed)),
        n_waiting=Count("registrations", filter=Q(registrations__status=waitlisted)),
    ).select_related("series")


def get_session_for_participant(user, slug: str, pk: int):
    """(session, participant, their registration or None); 404 for a session not open to them."""
    participant = get_own_participation(user, slug)
    session = (
        sessions_for_participant(participant)
        .select_related("scheme", "series")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404("No such session.")
    reg = Registration.objects.filter(session=session, participant=participant).first()
    return session, participant, reg


def get_draft_item_for_coordinator(scheme, pk: int):
    """An item of ``scheme``'s induction draft."""

    item = (
        InductionItem.objects.select_related("pack__scheme")
        .filter(pack__scheme=scheme, pack__published_at__isnull=True, pk=pk)
        .first()
    )
    if item is None:
        raise PermissionDenied("No such item in this scheme's draft induction pack.")
    return item


def get_induction_item_for_participant(user, slug: str, pk: int):
    """(item, participant): an item of the current pack of the person's scheme, for their role."""

    participant = get_own_participation(user, slug)
    item = (
        InductionItem.objects.select_related("pack")
        .filter(pack__scheme=participant.scheme, pack__is_current=True, pk=pk)
        .first()
    )
    if item is None or not item.is_for(participant):
        raise Http404("No such item in your induction pack.")
    return item, participant


def get_feedback_invitation(user, slug: str, pk: int):
    """(session, the person's open feedback request for it); 404 if they were not asked."""

    session, participant, reg = get_session_for_participant(user, slug, pk)
    inv = FeedbackInvitation.objects.filter(registration__session=session, registration=reg).first()
    if reg is None or inv is None:
        raise Http404("You were not asked for feedback on this session.")
    return session, inv
