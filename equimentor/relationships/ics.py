"""iCalendar invitations for meetings (RFC 5545), written by ``core.ics``.

The event carries the two (or more) members' names only: the organiser's address is the scheme's
no-reply address and attendees are opaque ``urn:uuid:`` addresses, so nobody's email address or
anything else about them travels in the file.
"""

from __future__ import annotations

import zoneinfo

from equimentor.core import ics

PRODID = "-//Equimentor//Mentoring meetings//EN"


def _summary(meeting) -> str:
    return f"Mentoring meeting · {meeting.relationship.scheme.name}"


def event(meeting, *, cancel: bool = False, members=None) -> ics.Event:
    """The meeting as a calendar event (shared by the invitation and the calendar feed).
    ``members`` are its attendees, the relationship's current members unless given (a closed
    relationship's cancellations name those who were in it)."""
    rel = meeting.relationship
    if members is None:
        members = [m for m in rel.memberships.all() if m.left_at is None]
    tz = zoneinfo.ZoneInfo(meeting.time_zone)
    location = url = ""
    if meeting.mode == meeting.Mode.VIRTUAL and meeting.video_link:
        location = url = meeting.video_link
    elif meeting.location:
        location = meeting.location
    organiser = meeting.arranged_by
    return ics.Event(
        uid=meeting.uid,
        sequence=meeting.sequence,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        time_zone=meeting.time_zone,
        summary=_summary(meeting),
        description=(
            f"{meeting.get_mode_display()} meeting of your {rel.get_kind_display().lower()} "
            f"mentoring in {rel.scheme.name}. Arranged for "
            f"{meeting.starts_at.astimezone(tz):%H:%M} {meeting.time_zone}."
            + (f"\nVideo link: {meeting.video_link}" if meeting.video_link else "")
        ),
        location=location,
        url=url,
        cancelled=cancel,
        organiser_name=organiser.user.full_name if organiser else rel.scheme.name,
        attendees=[(str(m.pk), m.participant.user.full_name) for m in members],
    )


def build(meeting, *, cancel: bool = False, members=None) -> bytes:
    """The .ics for ``meeting``: METHOD:REQUEST (or CANCEL), TZID start/end, UID and SEQUENCE."""
    return ics.invitation(event(meeting, cancel=cancel, members=members), prodid=PRODID)


def filename(meeting) -> str:
    return f"mentoring-meeting-{meeting.starts_at:%Y%m%d}.ics"
