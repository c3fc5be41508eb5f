"""One function per evaluation email. Never any answers or identity data."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email


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
