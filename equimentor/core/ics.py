"""iCalendar (RFC 5545) files, built with ``icalendar``: the one place that writes them.

Meetings (``relationships.ics``), training and peer-support sessions (``training.ics``) and each
person's calendar feed (``training.feed``) describe their events as :class:`Event` and turn them
into files here. Nobody's email address travels in a file: the organiser is the site's no-reply
address and attendees are opaque ``urn:uuid:`` addresses carrying a name only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import cache

import icalendar
from django.conf import settings
from django.utils import timezone

from equimentor.core import zones


@dataclass
class Event:
    """One event, with its times in UTC and the zone it was arranged in."""

    uid: uuid.UUID
    sequence: int
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    time_zone: str
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    organiser_name: str = ""
    attendees: list[tuple[str, str]] = field(default_factory=list)  # (opaque key, name)


def _address(value: str, name: str, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(value)
    address.params["CN"] = name
    for key, param in params.items():
        address.params[key.replace("_", "-").upper()] = param
    return address


def no_reply() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "no-reply@equimentor.invalid"


def domain() -> str:
    return no_reply().rpartition("@")[2] or "equimentor.invalid"


def _vevent(item: Event, stamp: datetime) -> icalendar.Event:
    tz = zones.zone(item.time_zone or "UTC", "UTC")
    event = icalendar.Event()
    event.add("uid", f"{item.uid}@{domain()}")
    event.add("sequence", item.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", item.starts_at.astimezone(tz))
    event.add("dtend", item.ends_at.astimezone(tz))
    event.add("summary", item.summary)
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    if item.description:
        event.add("description", item.description)
    if item.organiser_name:
        event.add("organizer", _address(f"mailto:{no_reply()}", item.organiser_name))
    for key, name in item.attendees:
        event.add(
            "attendee",
            _address(
                f"urn:uuid:{uuid.uuid5(item.uid, key)}",
                name,
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp="FALSE",
                cutype="INDIVIDUAL",
            ),
        )
    return event


def calendar(
    events: Iterable[Event],
    *,
    method: str | None = None,
    prodid: str = "-//Equimentor//Mentoring//EN",
    name: str = "",
    refresh_hours: int | None = None,
) -> bytes:
    """A calendar file holding ``events``: with ``method`` (REQUEST or CANCEL) an invitation
    sent by email; without one a published calendar, such as a subscription feed."""
    cal = icalendar.Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("name", name)
    if refresh_hours:
        cal.add(
            "refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"}
        )
        cal.add("x-published-ttl", timedelta(hours=refresh_hours))
    stamp = timezone.now().astimezone(UTC)
    for item in events:
        cal.add_component(_vevent(item, stamp))
    _add_missing_timezones(cal)
    return cal.to_ical()


@cache
def _vtimezone(tzid: str) -> icalendar.Timezone | None:
    """The VTIMEZONE for ``tzid``, as ``Calendar.add_missing_timezones`` builds it, built once per
    process: working out a zone's transitions costs about 15 ms, and every invitation needs it.
    (Shared between calendars: they are only serialised, never changed after ``calendar``.)"""
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know: left out, as add_missing_timezones does
        return None


def _add_missing_timezones(cal: icalendar.Calendar) -> None:
    """``cal.add_missing_timezones()``, with each zone's component built once per process."""
    at = len(cal.timezones)
    for tzid in cal.get_missing_tzids():
        component = _vtimezone(tzid)
        if component is not None:
            cal.subcomponents.insert(at, component)
            at += 1


def invitation(item: Event, *, prodid: str = "-//Equimentor//Mentoring//EN") -> bytes:
    """An emailed invitation: METHOD:REQUEST, or METHOD:CANCEL for a cancelled event."""
    return calendar([item], method="CANCEL" if item.cancelled else "REQUEST", prodid=prodid)
