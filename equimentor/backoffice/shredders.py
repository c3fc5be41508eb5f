"""The back office's part of erasure (see ``core.erasure``): the reminders she was sent."""

from __future__ import annotations

from equimentor.backoffice.models import Nudge
from equimentor.core import erasure


def _export(user):
    return {"reminders": erasure.rows(Nudge.objects.filter(participant__user=user))}


def _erase(person: erasure.Person) -> int:
    return Nudge.objects.filter(participant__user=person.user).delete()[0]


SHREDDER = erasure.Shredder(
    name="backoffice",
    order=45,
    covers=(
        erasure.Covers(
            Nudge,
            deleted="the reminders she was sent",
            kept={"sent_by": "the coordinator who sent a reminder: staff, not her"},
        ),
    ),
    erase=_erase,
    export=_export,
)
