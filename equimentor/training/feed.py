"""Each person's private calendar feed: one secret address carrying their mentoring meetings and
the sessions they hold a place at, in every scheme they take part in, so Outlook, Google or Apple
Calendar keep them current by subscribing (no integration, nothing to install).

The address holds a random token; only its hash is stored (``lib.tokens``), so it is shown once
when made. Replacing or revoking it stops the old address at once. The feed carries the last
90 days and everything to come; cancelled meetings and sessions, and sessions the person no
longer holds a place at, drop out of it. Sessions carry no attendee: nobody learns from the feed
who else comes to a peer-support circle.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from equimentor.core import audit, ics
from equimentor.lib.tokens import digest, new_token
from equimentor.relationships import ics as meeting_ics
from equimentor.relationships.models import Meeting, Relationship
from equimentor.training import ics as session_ics
from equimentor.training.models import CalendarFeed, Registration, Session

PAST = timedelta(days=90)
REFRESH_HOURS = 2
PRODID = "-//Equimentor//Your mentoring calendar//EN"


def url(raw: str) -> str:
    return settings.SITE_URL + reverse("training:feed", args=[raw])


@transaction.atomic
def issue(user, *, actor) -> str:
    """A new secret address for ``user`` (any earlier one stops working); the raw token."""
    raw, hashed = new_token()
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=user, defaults={"token_hash": hashed}
    )
    if not created:
        feed.token_hash = hashed
        feed.created_at = timezone.now()
        feed.last_fetched_at = None
        feed.save(update_fields=["token_hash", "created_at", "last_fetched_at"])
    audit.record("training.feed.issued", feed, actor=actor, replaced=not created)
    return raw


@transaction.atomic
def revoke(user, *, actor) -> bool:
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return False
    audit.record("training.feed.revoked", feed, actor=actor)
    feed.delete()
    return True


def find(raw: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("user").filter(token_hash=digest(raw)).first()


def events(user, now=None) -> list[ics.Event]:
    """The person's meetings and sessions from 90 days ago on, in four queries."""
    now = now or timezone.now()
    since = now - PAST
    meetings = (
        Meeting.objects.filter(
            relationship__memberships__participant__user=user,
            relationship__memberships__left_at__isnull=True,
            starts_at__gte=since,
        )
        .exclude(status=Meeting.Status.CANCELLED)
        .exclude(Q(starts_at__gt=now) & Q(relationship__state=Relationship.State.CLOSED))
        .select_related("relationship__scheme", "arranged_by__user")
        .prefetch_related("relationship__memberships__participant__user")
        .distinct()
        .order_by("starts_at", "id")
    )
    places = (
        Registration.objects.filter(
            participant__user=user,
            status=Registration.Status.CONFIRMED,
            session__status=Session.Status.SCHEDULED,
            session__ends_at__gte=since,
        )
        .select_related("session__scheme")
        .order_by("session__starts_at", "id")
    )
    return [meeting_ics.event(m) for m in meetings] + [
        session_ics.event(r.session, r) for r in places
    ]


def calendar(feed: CalendarFeed, now=None) -> bytes:
    now = now or timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    return ics.calendar(
        events(feed.user, now),
        prodid=PRODID,
        name=f"{settings.SITE_NAME}: your mentoring",
        refresh_hours=REFRESH_HOURS,
    )
