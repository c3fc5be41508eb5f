"""One function per evaluation email. Never any answers or identity data."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, render_email, send_email
from equimentor.evaluation.models import Invitation


def _context(inv) -> dict:
    scheme = inv.questionnaire.scheme
    return {
        "person": inv.participant.user,
        "scheme": scheme,
        "questionnaire": inv.questionnaire,
        "role": inv.get_role_display().lower(),
        "closes_on": inv.closes_on,
        "url": absolute_url("evaluation:answer", scheme.slug, inv.pk),
    }


# scheme=None keeps these off the coordinator's email list: a reminder there would show who has
# not answered an anonymous questionnaire.


def invitation(inv) -> None:
    send_email("eval_invitation", inv.participant.user.email, _context(inv), scheme=None)


def reminder(inv) -> None:
    send_email("eval_reminder", inv.participant.user.email, _context(inv), scheme=None)


def preview(questionnaire, participant, role: str, closes_on) -> list[tuple[str, str, str]]:
    """(kind, subject, text) of the invitation and the reminder ``questionnaire`` sends,
    rendered as ``participant`` would read them in ``role`` and sent to nobody."""
    inv = Invitation(
        pk=0, questionnaire=questionnaire, participant=participant, role=role, closes_on=closes_on
    )
    return [
        (kind, *render_email(f"eval_{kind}", _context(inv))[:2])
        for kind in ("invitation", "reminder")
    ]
