"""One function per email of matching. Reasons are plain words; no identity data, no declines' notes."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, render_email, send_email


def _proposals_url(proposal) -> str:
    return absolute_url("matching:my_proposals", proposal.scheme.slug)


def proposal_key(proposal, side: str) -> str:
    """Each side hears of a proposal once, however often the round's emails are sent."""
    return f"proposal:{proposal.pk}:{side}"


def _proposal_context(proposal, side: str) -> dict:
    me, other = (
        (proposal.mentee, proposal.mentor)
        if side == "mentee"
        else (proposal.mentor, proposal.mentee)
    )
    return {
        "proposal": proposal,
        "scheme": proposal.scheme,
        "person": me.user,
        "other": other,
        "url": _proposals_url(proposal),
    }


def proposal_to_mentee(proposal) -> None:
    send_email(
        "proposal_to_mentee",
        proposal.mentee.user.email,
        _proposal_context(proposal, "mentee"),
        key=proposal_key(proposal, "mentee"),
    )


def proposal_to_mentor(proposal) -> None:
    send_email(
        "proposal_to_mentor",
        proposal.mentor.user.email,
        _proposal_context(proposal, "mentor"),
        key=proposal_key(proposal, "mentor"),
    )


def preview_proposal(proposal) -> list[tuple[str, str, str]]:
    """(who, subject, text) of the two emails ``proposal`` sends, rendered exactly as they will
    be and sent to nobody: the coordinator reads them before publishing."""
    return [
        (side, *render_email(f"proposal_to_{side}", _proposal_context(proposal, side))[:2])
        for side in ("mentee", "mentor")
    ]


def match_confirmed(proposal) -> None:
    for me, other in ((proposal.mentee, proposal.mentor), (proposal.mentor, proposal.mentee)):
        send_email(
            "match_confirmed",
            me.user.email,
            {
                "proposal": proposal,
                "scheme": proposal.scheme,
                "person": me.user,
                "other": other,
                "url": absolute_url("relationships:home", proposal.scheme.slug),
            },
        )


def match_not_going_ahead(proposal, *, to_side: str) -> None:
    """Told neutrally: never who declined or why."""
    me = proposal.mentee if to_side == "mentee" else proposal.mentor
    send_email(
        "match_not_going_ahead",
        me.user.email,
        {
            "proposal": proposal,
            "scheme": proposal.scheme,
            "person": me.user,
            "is_mentee": to_side == "mentee",
        },
    )
