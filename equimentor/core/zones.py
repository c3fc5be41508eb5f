"""Time-zone choices for every form that asks for one: the zones a person is likely to want first
(their own, the scheme's, the zone last used), then the 600 others, in a select that site.js
makes searchable (type "tokyo" or "new york"); without JavaScript it is a plain select."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.conf import settings


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(
        z
        for z in zoneinfo.available_timezones()
        if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    )
    return [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in names]


def zone(name: str, fallback: str | None = None) -> zoneinfo.ZoneInfo:
    """The zone called ``name``; an unknown name gives ``fallback`` (the site's zone if that is
    empty) or, with no fallback, raises ValueError."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        if fallback is None:
            raise ValueError(f"Unknown time zone: {name!r}") from exc
        return zoneinfo.ZoneInfo(fallback or settings.TIME_ZONE)


def wall_clock(when, zone_name: str):
    """``when`` as the wall-clock time in ``zone_name`` (the site's zone if unknown), naive so
    that templates do not convert it again."""
    return when.astimezone(zone(zone_name or settings.TIME_ZONE, "")).replace(tzinfo=None)


@cache
def _valid() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def likely_first(likely=()) -> list:
    """The time zones, with the ones this person is likely to want first in a group of their
    own above the others. A likely zone outside the usual list (an old alias such as
    "US/Eastern" saved earlier) is kept, so the form accepts what the person already has."""
    known = dict(time_zone_choices())
    first = [z for i, z in enumerate(likely) if z and z in _valid() and z not in likely[:i]]
    if not first:
        return time_zone_choices()
    return [
        ("Likely", [(z, known.get(z, z.replace("_", " "))) for z in first]),
        ("All time zones", [(z, label) for z, label in known.items() if z not in first]),
    ]


class ZoneSelect(forms.Select):
    """A select of time zones that site.js gives a search box."""

    def __init__(self, attrs=None):
        super().__init__({"data-zone-search": "", **(attrs or {})})


class TimeZoneField(forms.ChoiceField):
    widget = ZoneSelect

    def __init__(self, *, likely=(), **kwargs):
        super().__init__(choices=likely_first(tuple(likely)), **kwargs)

    def offer_first(self, likely) -> None:
        self.choices = likely_first(tuple(likely))
