"""The induction gate, as queryset filters: a scheme may require mentors to have done their
required induction before they are listed or proposed, and mentees before they rank mentors or
are matched. ``training`` provides the filter (``training.gate.ready``: SQL over its settings,
current pack and completions, so the queries that select eligible people gain no extra query)."""

from __future__ import annotations

from django.db.models import Q

from equimentor.enrolment.models import Participant
from equimentor.pairing.parts import Part

MENTOR, MENTEE = "mentor", "mentee"

# ready(side, participant_ref, scheme_ref) -> Q on participants not held back for ``side``
READY = Part("gate.ready", "training")


def ready(side: str, participant_ref: str = "pk", scheme_ref: str = "scheme") -> Q:
    """A filter on participants (or, through the refs, on rows pointing at them): not held back
    by the gate for ``side``."""
    return READY(side, participant_ref, scheme_ref)


def is_ready(participant, side: str) -> bool:
    return Participant.objects.filter(pk=participant.pk).filter(ready(side)).exists()
