"""One function per email about sessions. Each names the session and the person's own place,
never who else registered; invitations carry an .ics file (``training.ics``)."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email
from equimentor.core.zones import wall_clock
from equimentor.training import ics


def _context(session, user, **extra) -> dict:
    return {
        "session": session,
        "scheme": session.scheme,
        "person": user,
        "local_start": wall_clock(session.starts_at, user.time_zone),
        "local_end": wall_clock(session.ends_at, user.time_zone),
        "time_zone": user.time_zone,
        "url": absolute_url("training:session", session.scheme.slug, session.pk),
        "list_url": absolute_url("training:sessions", session.scheme.slug),
        **extra,
    }


def _user(registration):
    return registration.participant.user


def registered(registration) -> None:
    """A confirmed place, with the invitation."""
    session, user = registration.session, _user(registration)
    send_email(
        "tr_registered",
        user.email,
        _context(session, user, registration=registration),
        attachments=[ics.attachment(session, registration)],
    )


def waitlisted(registration, position: int) -> None:
    session, user = registration.session, _user(registration)
    send_email(
        "tr_waitlisted",
        user.email,
        _context(session, user, registration=registration, position=position),
    )


def promoted(registration) -> None:
    """A place opened up for someone on the waiting list."""
    session, user = registration.session, _user(registration)
    send_email(
        "tr_promoted",
        user.email,
        _context(session, user, registration=registration),
        attachments=[ics.attachment(session, registration)],
        key=f"training:promoted:{registration.pk}:{registration.sequence}",
    )


def registration_cancelled(registration, *, had_place: bool) -> None:
    """The person's own cancellation; a calendar cancellation if they held a place."""
    session, user = registration.session, _user(registration)
    send_email(
        "tr_registration_cancelled",
        user.email,
        _context(session, user, registration=registration, had_place=had_place),
        attachments=[ics.attachment(session, registration, cancel=True)] if had_place else [],
    )


def _to_everyone_registered(template: str, session, registrations, *, cancel=None) -> None:
    """Tell everyone registered of a change to the session: those with a place get their
    calendar invitation with it (a cancellation with ``cancel``), the waiting list only word."""
    for reg in registrations:
        user = _user(reg)
        confirmed = reg.status == reg.Status.CONFIRMED
        send_email(
            template,
            user.email,
            _context(session, user, registration=reg, confirmed=confirmed),
            attachments=[ics.attachment(session, reg, cancel=cancel)] if confirmed else [],
        )


def session_changed(session, registrations) -> None:
    """Moved (time, place or link): places keep an updated invitation, the queue is told."""
    _to_everyone_registered("tr_session_changed", session, registrations)


def session_cancelled(session, registrations) -> None:
    _to_everyone_registered("tr_session_cancelled", session, registrations, cancel=True)


def registrations_ended(participant, registrations) -> None:
    """After withdrawing from the scheme: every future place is released from the calendar."""
    held = [r for r in registrations if r.had_place]
    if not registrations:
        return
    user = participant.user
    send_email(
        "tr_registrations_ended",
        user.email,
        {
            "scheme": participant.scheme,
            "person": user,
            "sessions": [
                {
                    "session": r.session,
                    "local_start": wall_clock(r.session.starts_at, user.time_zone),
                }
                for r in registrations
            ],
            "time_zone": user.time_zone,
        },
        attachments=[ics.attachment(r.session, r, cancel=True) for r in held],
    )


def reminder(registration) -> None:
    """The day before."""
    session, user = registration.session, _user(registration)
    send_email(
        "tr_reminder",
        user.email,
        _context(session, user, registration=registration),
        key=f"training:reminder:{registration.pk}:{session.starts_at:%Y%m%dT%H%M}",
    )


def induction_reminder_key(participant, pack, day: str) -> str:
    """One reminder per person, pack version and day, however often the coordinator asks."""
    return f"training:induction-reminder:{participant.pk}:{pack.pk}:{day}"


def induction_reminder(participant, pack, missing, gated, *, key: str) -> None:
    """The coordinator's reminder: the required induction items still to do, and what waits on
    them."""
    user = participant.user
    send_email(
        "tr_induction_reminder",
        user.email,
        {
            "scheme": participant.scheme,
            "person": user,
            "pack": pack,
            "missing": missing,
            "gated": gated,
            "url": absolute_url("training:induction", participant.scheme.slug),
        },
        key=key,
    )


def feedback_request(registration) -> None:
    """After the session: two anonymous questions. Filed under no scheme, as evaluation
    invitations are: the list of who was asked is the list of who attended."""
    session, user = registration.session, _user(registration)
    send_email(
        "tr_feedback_request",
        user.email,
        _context(
            session,
            user,
            registration=registration,
            feedback_url=absolute_url("training:feedback", session.scheme.slug, session.pk),
        ),
        key=f"training:feedback:{registration.pk}",
        scheme=None,
    )
