"""One function per reminder a coordinator sends from the "needs attention" overview. They say
what is waiting and where to act; never who else was reminded, or why a relationship was
flagged beyond "it has been a while"."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email


def remind_proposal_reply(person, proposal, *, key: str) -> None:
    send_email(
        "remind_proposal_reply",
        person.user.email,
        {
            "person": person.user,
            "scheme": proposal.scheme,
            "proposed_on": proposal.proposed_at,
            "url": absolute_url("matching:my_proposals", proposal.scheme.slug),
        },
        key=key,
    )


def remind_rank_choices(person, matching_round, *, key: str) -> None:
    send_email(
        "remind_rank_choices",
        person.user.email,
        {
            "person": person.user,
            "scheme": person.scheme,
            "round": matching_round,
            "url": absolute_url("directory:mentors", person.scheme.slug),
        },
        key=key,
    )


def remind_meet_again(person, relationship, *, key: str) -> None:
    send_email(
        "remind_meet_again",
        person.user.email,
        {
            "person": person.user,
            "scheme": person.scheme,
            "url": absolute_url("relationships:detail", person.scheme.slug, relationship.pk),
        },
        key=key,
    )
