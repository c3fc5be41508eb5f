"""Safeguarding's part of erasure (see ``core.erasure``).

Not exported (UK GDPR exemptions for other people's data): anything that would identify a
reporter (no case in which the person is the subject appears). Not erased: safeguarding records,
kept for the scheme's retention period (then anonymised by the retention job). A case she raised
loses its link to her: no reporter, her messages on it no longer authored by her account, and her
address and name replaced in what she wrote (what happened, and every entry); the account of what
happened stays. Cases about her (she is the subject) stay as they are, with the ``excluded`` links
that keep them hidden from her; entries she wrote as a safeguarding lead stay hers (the
anonymised account): who acted on a case is part of its record.
"""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.safeguarding.models import (
    Case,
    CaseAccess,
    CaseEntry,
    ContactRoute,
    LeavingReason,
    PairBlock,
    Suspension,
)

RECORD = "a safeguarding record, kept for the scheme's retention period"


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
    user = person.user
    raised = list(Case.objects.filter(reporter=user).values_list("pk", flat=True))
    n = CaseEntry.objects.filter(case__in=raised, author=user).update(author=None)
    n += person.scrub_rows(CaseEntry.objects.filter(case__in=raised), ["body"])
    n += person.scrub_rows(Case.objects.filter(pk__in=raised), ["what_happened"])
    n += Case.objects.filter(pk__in=raised).update(reporter=None)
    n += LeavingReason.objects.filter(participant__user=user).update(reason="")
    return n + person.scrub_rows(LeavingReason.objects.all(), ["reason"])


SHREDDER = erasure.Shredder(
    name="safeguarding",
    order=70,
    covers=(
        erasure.Covers(
            Case,
            erased="reporter",
            kept={
                "what_happened": RECORD + " (her address and name replaced in a case she raised)",
                "category wants status": RECORD + ", counted in the trends",
                "subject excluded": RECORD + ": a case about her stays, hidden from her",
                "key_hash passphrase_hash": "let an anonymous reporter come back: no one's data",
            },
        ),
        erasure.Covers(Case.excluded.through, kept={"user": RECORD + ": hidden from her"}),
        erasure.Covers(
            CaseEntry,
            erased="author",
            kept={
                "body": RECORD + " (her address and name replaced in a case she raised)",
                "kind": RECORD,
            },
        ),
        erasure.Covers(
            CaseAccess, kept={"user what": "who read a case: only a superuser reads this log"}
        ),
        erasure.Covers(
            PairBlock, kept={"mentee mentor": "keeps a reported pair apart: safeguarding"}
        ),
        erasure.Covers(Suspension, kept={"participant": RECORD}),
        erasure.Covers(
            ContactRoute, kept={"name details": "the scheme's routes to report, written by staff"}
        ),
        erasure.Covers(LeavingReason, erased="reason", kept={"participant": "counted"}),
    ),
    erase=_erase,
    export=_export,
)
