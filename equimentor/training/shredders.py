"""Training's part of erasure (see ``core.erasure``)."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.enrolment.models import Participant
from equimentor.training import services as training
from equimentor.training.models import CalendarFeed, FeedbackInvitation, Registration


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
    return n + sum(
        training.end_registrations(p, actor=None, notify=False)
        for p in Participant.objects.filter(user=person.user)
    )


SHREDDER = erasure.Shredder(
    name="training",
    order=60,
    covers=(
        erasure.Covers(CalendarFeed, deleted="her calendar feed"),
        erasure.Covers(
            Registration,
            kept={"participant status": "attendance is counted in the reports"},
        ),
    ),
    erase=_erase,
    export=_export,
)
