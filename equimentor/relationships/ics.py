"""iCalendar invitations for meetings (RFC 5545), built with ``icalendar``.

The event carries the two (or more) members' names only: the organiser's address is the scheme's
no-reply address and attendees are opaque ``urn:uuid:`` addresses, so nobody's email address or
anything else about them travels in the file.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone

PRODID = "-//Equimentor//Mentoring meetings//EN"


def _summary(meeting) -> str:
    return f"Mentoring meeting · {meeting.relationship.scheme.name}"


def _address(value: str, name: str, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(value)
    address.params["CN"] = name
    for key, param in params.items():
        address.params[key.replace("_", "-").upper()] = param
    return address


def build(meeting, *, cancel: bool = False) -> bytes:
    """The .ics for ``meeting``: METHOD:REQUEST (or CANCEL), TZID start/end, UID and SEQUENCE."""
    rel = meeting.relationship
    members = [m for m in rel.memberships.all() if m.left_at is None]
    tz = zoneinfo.ZoneInfo(meeting.time_zone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{meeting.uid}@{_domain()}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", _summary(meeting))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if meeting.mode == meeting.Mode.VIRTUAL and meeting.video_link:
        event.add("location", meeting.video_link)
        event.add("url", meeting.video_link)
    elif meeting.location:
        event.add("location", meeting.location)
    event.add(
        "description",
        f"{meeting.get_mode_display()} meeting of your {rel.get_kind_display().lower()} "
        f"mentoring in {rel.scheme.name}. Arranged for "
        f"{meeting.starts_at.astimezone(tz):%H:%M} {meeting.time_zone}."
        + (f"\nVideo link: {meeting.video_link}" if meeting.video_link else ""),
    )
    organiser = meeting.arranged_by
    organiser_name = organiser.user.full_name if organiser else rel.scheme.name
    event.add("organizer", _address(f"mailto:{_no_reply()}", organiser_name))
    for member in members:
        event.add(
            "attendee",
            _address(
                f"urn:uuid:{uuid.uuid5(meeting.uid, str(member.pk))}",
                member.participant.user.full_name,
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="FALSE",
                cutype="INDIVIDUAL",
            ),
        )
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def filename(meeting) -> str:
    return f"mentoring-meeting-{meeting.starts_at:%Y%m%d}.ics"


def _no_reply() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "no-reply@equimentor.invalid"


def _domain() -> str:
    return _no_reply().rpartition("@")[2] or "equimentor.invalid"
