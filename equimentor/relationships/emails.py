"""One function per email of mentoring relationships.

Emails say what happens next, never why someone stepped away or closed a relationship, and never
carry identity data. Meeting invitations carry a real .ics file; they are rendered through
``core.mail.render_email`` and sent on commit like every other email.
"""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email
from equimentor.core.zones import wall_clock
from equimentor.relationships import ics

_url = absolute_url


def _rel_url(rel) -> str:
    return _url("relationships:detail", rel.scheme.slug, rel.pk)


def _home_url(scheme) -> str:
    return _url("relationships:home", scheme.slug)


def _others(rel, member) -> list[str]:
    return [
        m.participant.user.full_name
        for m in rel.memberships.all()
        if m.left_at is None and m.pk != member.pk
    ]


def _context(rel, member, **extra) -> dict:
    return {
        "rel": rel,
        "scheme": rel.scheme,
        "person": member.participant.user,
        "member": member,
        "others": _others(rel, member),
        "url": _rel_url(rel),
        "home_url": _home_url(rel.scheme),
        **extra,
    }


def started(rel) -> None:
    for member in rel.active_members():
        send_email("rel_started", member.participant.user.email, _context(rel, member))


def meeting_invitation(meeting, *, update: bool = False) -> None:
    rel = meeting.relationship
    data = ics.build(meeting)
    for member in rel.active_members():
        user = member.participant.user
        send_email(
            "rel_meeting_invite",
            user.email,
            _context(
                rel,
                member,
                meeting=meeting,
                update=update,
                local_start=wall_clock(meeting.starts_at, user.time_zone),
                time_zone=user.time_zone,
                meeting_url=_url("relationships:meeting", rel.scheme.slug, rel.pk, meeting.pk),
            ),
            attachments=[
                (ics.filename(meeting), data, "text/calendar; method=REQUEST; charset=utf-8")
            ],
        )


def meeting_cancelled(meeting) -> None:
    rel = meeting.relationship
    data = ics.build(meeting, cancel=True)
    for member in rel.active_members():
        user = member.participant.user
        send_email(
            "rel_meeting_cancelled",
            user.email,
            _context(
                rel,
                member,
                meeting=meeting,
                local_start=wall_clock(meeting.starts_at, user.time_zone),
                time_zone=user.time_zone,
            ),
            attachments=[
                (ics.filename(meeting), data, "text/calendar; method=CANCEL; charset=utf-8")
            ],
        )


def _cancellations(rel, member, cancelled, members) -> tuple[dict, list]:
    """What a closing email adds for the meetings that were still to come: each at the
    person's local time, and one calendar cancellation per meeting (nothing says why)."""
    user = member.participant.user
    context = {
        "cancelled": [(wall_clock(m.starts_at, user.time_zone), m) for m in cancelled],
        "time_zone": user.time_zone,
    }
    files = [
        (
            ics.filename(m),
            ics.build(m, cancel=True, members=members),
            "text/calendar; method=CANCEL; charset=utf-8",
        )
        for m in cancelled
    ]
    return context, files


def _each_with_cancellations(template: str, rel, members, cancelled=()) -> None:
    """``template`` to each of ``members``, with the calendar cancellations of ``cancelled``
    (meetings that were still to come) at their own local time."""
    for member in members:
        extra, files = _cancellations(rel, member, cancelled, members)
        send_email(
            template,
            member.participant.user.email,
            _context(rel, member, is_mentee=member.side == member.Side.MENTEE, **extra),
            attachments=files,
        )


def will_not_continue(rel, members, cancelled=()) -> None:
    """Told neutrally: never who stepped away or why."""
    _each_with_cancellations("rel_will_not_continue", rel, members, cancelled)


def closed(rel, members, cancelled=()) -> None:
    _each_with_cancellations("rel_closed", rel, members, cancelled)


def member_left(rel, members, cancelled=()) -> None:
    """To those still in a relationship a member left by leaving the scheme: what happens next,
    never who left or why (a relationship of two says only that it has ended)."""
    _each_with_cancellations("rel_member_left", rel, members, cancelled)


def left_meetings(rel, member, meetings) -> None:
    """To someone who left the scheme: calendar cancellations for the meetings they had to come
    in a relationship (whether or not it carries on without them)."""
    _each_with_cancellations("rel_left_meetings", rel, [member], meetings)


def removed(rel, member, meetings) -> None:
    """To a member the coordinator took out of a group, circle or network: that they are no
    longer a member, and calendar cancellations for the meetings they had to come."""
    _each_with_cancellations("rel_removed", rel, [member], meetings)


def paused(rel) -> None:
    for member in rel.active_members():
        send_email("rel_paused", member.participant.user.email, _context(rel, member))


def resumed(rel) -> None:
    for member in rel.active_members():
        send_email("rel_resumed", member.participant.user.email, _context(rel, member))


def extended(rel) -> None:
    for member in rel.active_members():
        send_email("rel_extended", member.participant.user.email, _context(rel, member))


def end_prompt(rel, member) -> None:
    send_email("rel_end_prompt", member.participant.user.email, _context(rel, member))


def no_meeting_nudge(rel, member, weeks: int) -> None:
    send_email(
        "rel_no_meeting_nudge", member.participant.user.email, _context(rel, member, weeks=weeks)
    )


def check_in(check_in_row, member) -> None:
    rel = check_in_row.relationship
    send_email(
        "rel_check_in",
        member.participant.user.email,
        _context(
            rel,
            member,
            check_in=check_in_row,
            check_in_url=_url("relationships:check_in", rel.scheme.slug, check_in_row.pk),
            concern_url=_url("relationships:concern", rel.scheme.slug),
        ),
    )
