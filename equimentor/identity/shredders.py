"""Identity's part of erasure: every identity answer is deleted (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.identity.models import IdentityAnswer


def _export(user):
    return erasure.rows(IdentityAnswer.objects.filter(participant__user=user))


def _erase(person: erasure.Person) -> int:
    return IdentityAnswer.objects.filter(participant__user=person.user).delete()[0]


SHREDDER = erasure.Shredder(
    name="identity",
    order=10,
    covers=(erasure.Covers(IdentityAnswer, deleted="all her identity answers"),),
    erase=_erase,
    export=_export,
)
