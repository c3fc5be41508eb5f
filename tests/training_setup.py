"""Helpers for the training tests: sessions and approved participants through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from equimentor.training import services
from tests import factories


def local(days: int = 7, hour: int = 10, minute: int = 0) -> datetime:
    """A naive wall-clock time ``days`` from today."""
    d = timezone.now().date() + timedelta(days=days)
    return datetime(d.year, d.month, d.day, hour, minute)


def plan(**overrides) -> services.SessionPlan:
    start = overrides.pop("local_start", local())
    values = {
        "title": "Mentoring skills",
        "kind": "training",
        "local_start": start,
        "local_end": start + timedelta(hours=1, minutes=30),
        "time_zone": "Europe/London",
        "capacity": 10,
        "online_link": "https://meet.example/skills",
        **overrides,
    }
    return services.SessionPlan(**values)


def session(scheme, coordinator, **overrides):
    return services.schedule(scheme, plan(**overrides), actor=coordinator)[0]


def members(scheme, coordinator, n: int, *, role: str = "mentee", prefix: str = "p"):
    return [
        factories.register_participant(
            scheme, f"{prefix}{i}@example.org", role=role, approve_by=coordinator
        )
        for i in range(n)
    ]
