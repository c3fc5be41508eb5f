"""Safeguarding emails: never a name, a category or a detail; only that there is something to
look at, and a link."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email


def new_concern(case, leads) -> None:
    """To each lead who may see the case."""
    link = absolute_url("safeguarding:cases", case.scheme.slug)
    for role in leads:
        send_email("sg_new_concern", role.user.email, {"link": link})


def case_update(case, leads) -> None:
    """A reporter wrote: to each lead who may see the case."""
    link = absolute_url("safeguarding:cases", case.scheme.slug)
    for role in leads:
        send_email("sg_case_update", role.user.email, {"link": link})


def update_for_reporter(case) -> None:
    """To a named reporter when their concern moves on or has a reply (anonymous: nobody to tell)."""
    if case.is_anonymous or case.reporter is None:
        return
    link = absolute_url("safeguarding:my_concern", case.pk)
    send_email("sg_reporter_update", case.reporter.email, {"link": link})
