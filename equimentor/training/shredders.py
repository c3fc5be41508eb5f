"""Training's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.enrolment.models import Participant
from equimentor.training import services as training
from equimentor.training.models import (
    CalendarFeed,
    FeedbackInvitation,
    InductionItem,
    ItemCompletion,
    PendingFeedback,
    Registration,
    Series,
    Session,
    SessionFeedback,
)

SESSION_TEXT = ("title", "description", "online_link", "place", "host_name")


def _export(user):
    return {
        "session_registrations": erasure.rows(Registration.objects.filter(participant__user=user)),
        # whether they were asked and answered; the answers are anonymous and not theirs to find
        "session_feedback_requests": erasure.rows(
            FeedbackInvitation.objects.filter(registration__participant__user=user)
        ),
        "calendar_feed": erasure.rows(CalendarFeed.objects.filter(user=user)),  # never the token
    }


def _erase(person: erasure.Person) -> int:
    """The calendar feed is deleted; places at sessions still to come are given up (to the
    waiting lists, without emailing the person); past registrations stay, counted in the reports
    under the anonymised participation."""
    n = CalendarFeed.objects.filter(user=person.user).delete()[0]
    n += sum(
        training.end_registrations(p, actor=None, notify=False)
        for p in Participant.objects.filter(user=person.user)
    )
    # a session she hosts names her
    n += person.scrub_rows(Session.objects.all(), SESSION_TEXT)
    return n + person.scrub_rows(Series.objects.all(), ["title"])


SHREDDER = erasure.Shredder(
    name="training",
    order=60,
    covers=(
        erasure.Covers(CalendarFeed, deleted="her calendar feed"),
        erasure.Covers(
            Registration,
            kept={"participant status": "attendance is counted in the reports"},
        ),
        erasure.Covers(
            Session,
            erased=SESSION_TEXT,
            kept={
                "kind audience time_zone status": "coded settings of the session",
                "created_by": "who arranged it (staff), pointing at the anonymised account",
            },
        ),
        erasure.Covers(Series, erased="title"),
        erasure.Covers(
            InductionItem,
            kept={
                "key kind title body url options audience content_hash": (
                    "the scheme's induction pack, written by its staff"
                )
            },
        ),
        erasure.Covers(
            ItemCompletion,
            kept={"participant key content_hash": "induction completion is counted in reports"},
        ),
        erasure.Covers(SessionFeedback, kept={"role": "anonymous: linked to no one"}),
        erasure.Covers(
            PendingFeedback,
            kept={"sealed": "anonymous feedback sealed until its batch: linked to no one"},
        ),
    ),
    erase=_erase,
    export=_export,
)
