"""Calendar files for sessions (written by ``core.ics``).

Each person's file names the session and its host only: never who else registered (a
peer-support circle is confidential). The event's sequence is the session's plus the person's
registration's, so moving the session and changing one's own place both supersede what a
calendar holds.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from equimentor.core import ics

PRODID = "-//Equimentor//Training and peer-support sessions//EN"


def _page(session) -> str:
    return settings.SITE_URL + reverse("training:session", args=[session.scheme.slug, session.pk])


def event(session, registration=None, *, cancel: bool | None = None) -> ics.Event:
    """The session as one person's calendar event (``registration`` their place, if any)."""
    if cancel is None:
        cancel = session.is_cancelled or (
            registration is not None and registration.status != registration.Status.CONFIRMED
        )
    lines = [f"{session.get_kind_display()} session of {session.scheme.name}."]
    if session.host_name:
        lines.append(f"Led by {session.host_name}.")
    if session.description:
        lines.append(session.description)
    if session.online_link:
        lines.append(f"Online: {session.online_link}")
    if session.place:
        lines.append(f"Where: {session.place}")
    lines.append(f"Your place: {_page(session)}")
    return ics.Event(
        uid=session.uid,
        sequence=session.sequence + (registration.sequence if registration else 0),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=session.time_zone,
        summary=f"{session.title} · {session.scheme.name}",
        description="\n".join(lines),
        location=session.place or session.online_link,
        url=session.online_link or _page(session),
        cancelled=cancel,
        organiser_name=session.host_name or session.scheme.name,
    )


def build(session, registration=None, *, cancel: bool | None = None) -> bytes:
    """An emailed invitation (METHOD:REQUEST) or cancellation (METHOD:CANCEL)."""
    return ics.invitation(event(session, registration, cancel=cancel), prodid=PRODID)


def filename(session) -> str:
    return f"session-{session.starts_at:%Y%m%d}.ics"


def attachment(session, registration=None, *, cancel: bool | None = None):
    item = event(session, registration, cancel=cancel)
    method = "CANCEL" if item.cancelled else "REQUEST"
    return (
        filename(session),
        ics.invitation(item, prodid=PRODID),
        f"text/calendar; method={method}; charset=utf-8",
    )
