"""The induction gate, as queryset filters (training's provider of ``pairing.gate``): a scheme may require mentors to have done their
required induction items before they are listed in the directory or proposed by matching, and
mentees before they rank mentors or are matched.

The filters are SQL (``Exists`` over the scheme's setting, its current pack and the person's
completions), so the directory and matching queries that select eligible people gain no extra
query. An item counts as done when the person did it as it reads now (same key and content hash):
a new pack version asks only for what changed.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from equimentor.pairing.gate import MENTEE, MENTOR
from equimentor.training.models import InductionItem, ItemCompletion, TrainingSettings

_AUDIENCE = {MENTOR: InductionItem.Audience.MENTORS, MENTEE: InductionItem.Audience.MENTEES}
_SETTING = {MENTOR: "mentors_must_complete", MENTEE: "mentees_must_complete"}


def missing_items(side: str, participant_ref: str = "pk", scheme_ref: str = "scheme"):
    """Required items of the current pack for ``side`` that the outer participant has not done."""
    done = ItemCompletion.objects.filter(
        participant=OuterRef(OuterRef(participant_ref)),
        key=OuterRef("key"),
        content_hash=OuterRef("content_hash"),
    )
    return InductionItem.objects.filter(
        pack__scheme=OuterRef(scheme_ref),
        pack__is_current=True,
        required=True,
        audience__in=[InductionItem.Audience.BOTH, _AUDIENCE[side]],
    ).filter(~Exists(done))


def ready(side: str, participant_ref: str = "pk", scheme_ref: str = "scheme") -> Q:
    """A filter on participants: not held back by the gate for ``side``."""
    required = TrainingSettings.objects.filter(
        scheme=OuterRef(scheme_ref), **{_SETTING[side]: True}
    )
    return ~Exists(required) | ~Exists(missing_items(side, participant_ref, scheme_ref))
