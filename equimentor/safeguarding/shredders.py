"""Safeguarding's part of erasure (see ``core.erasure``).

Not exported (UK GDPR exemptions for other people's data): anything that would identify a
reporter (no case in which the person is the subject appears). Not erased: safeguarding cases the
person is the subject of (kept for the retention period, as safeguarding records), and the
``excluded`` links that keep such a case hidden from them.
"""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.safeguarding.models import Case, CaseEntry, LeavingReason


def _export(user):
    raised = []
    for case in Case.objects.filter(reporter=user, is_anonymous=False):
        raised.append(
            {
                "case": case.pk,
                "category": case.category,
                "what_happened": case.what_happened,
                "wants": case.wants,
                "status": case.status,
                "received_on": case.received_on.isoformat(),
                "messages": [
                    {"kind": e.kind, "body": e.body, "at": e.at.isoformat()}
                    for e in case.entries.filter(kind__in=CaseEntry.VISIBLE_TO_REPORTER)
                ],
            }
        )
    return {
        "concerns_raised": raised,
        "leaving_reasons": erasure.rows(LeavingReason.objects.filter(participant__user=user)),
    }


def _erase(person: erasure.Person) -> int:
    n = Case.objects.filter(reporter=person.user).update(reporter=None)
    return n + LeavingReason.objects.filter(participant__user=person.user).update(reason="")


SHREDDER = erasure.Shredder(
    name="safeguarding",
    order=70,
    covers=(
        erasure.Covers(
            Case,
            erased="reporter",
            kept={
                "what_happened category wants status": (
                    "a safeguarding record, kept for the scheme's retention period"
                ),
                "subject": "cases about her are safeguarding records, kept for the retention period",
            },
        ),
        erasure.Covers(LeavingReason, erased="reason", kept={"participant": "counted"}),
    ),
    erase=_erase,
    export=_export,
)
