"""Object-level access to participations: one helper per question, shared by pages and API."""

from __future__ import annotations

from django.http import Http404

from equimentor.enrolment.models import Participant, ParticipantImport


def get_own_participation(user, slug: str) -> Participant:
    """The signed-in person's own participation in scheme ``slug`` (404 if none)."""
    participant = (
        Participant.objects.select_related("scheme", "institution", "user")
        .filter(user=user, scheme__slug=slug)
        .first()
    )
    if participant is None:
        raise Http404("You are not registered with this scheme.")
    return participant


def get_participant_for_coordinator(scheme, pk: int) -> Participant:
    """A participant of ``scheme`` (whose coordinator ``staff.access.scheme_staff`` resolved);
    404 for anyone else's, so another scheme's ids tell its coordinators nothing."""
    participant = (
        Participant.objects.select_related("scheme", "institution", "user", "expression")
        .filter(scheme=scheme, pk=pk)
        .first()
    )
    if participant is None:
        raise Http404("No such participant in this scheme.")
    return participant


def get_import_for_coordinator(scheme, pk: int):
    """An uploaded participants file of ``scheme`` (whose coordinator ``scheme_staff``
    resolved); 404 if there is none (it may have been imported or pruned)."""

    upload = ParticipantImport.objects.filter(scheme=scheme, pk=pk).first()
    if upload is None:
        raise Http404("No such upload: it has been imported or has expired.")
    return upload
