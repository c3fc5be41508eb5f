"""What the registration journeys share: the consents the demo scheme requires, and the
registration link from the welcome email."""

from __future__ import annotations

import re

from django.core import mail

REQUIRED_CONSENTS = [
    "I have read the privacy notice",
    "I consent to take part in the scheme",
    "I will abide by the code of conduct",
    "I will keep the confidentiality agreement",
]


def registration_link(to: str) -> str:
    welcome = [m for m in mail.outbox if to in m.to and m.subject.startswith("Welcome to")]
    assert len(welcome) == 1, (
        f"expected one welcome email to {to}, got {[m.subject for m in mail.outbox]}"
    )
    match = re.search(r"https?://\S+/me/register/[^/\s]+/", welcome[0].body)
    assert match, welcome[0].body
    return match.group(0)
