"""Per-scheme relationship settings (reminder, check-in and end-prompt timings)."""

from __future__ import annotations

from django.db import transaction

from equimentor.core import audit
from equimentor.relationships.models import RelationshipSettings


@transaction.atomic
def save_settings(scheme, values: dict, *, actor):

    row, _ = RelationshipSettings.objects.update_or_create(scheme=scheme, defaults=values)
    audit.record("relationships.settings.saved", row, actor=actor, scheme=scheme, **values)
    return row
