"""One function per email the enrolment app sends. No identity data ever goes in an email."""

from __future__ import annotations

from equimentor.core.mail import absolute_url, send_email

_url = absolute_url


def welcome(expression, raw_token: str, expires_at) -> None:
    scheme = expression.scheme
    docs = scheme.current_documents()
    send_email(
        "welcome",
        expression.email,
        {
            "name": expression.name,
            "scheme": scheme,
            "register_url": _url("enrolment:register", raw_token),
            "expires_at": expires_at,
            "information_sheet": docs.get("information_sheet"),
            "matching": docs.get("matching"),
            "privacy_notice": docs.get("privacy_notice"),
            "scheme_url": _url("schemes:detail", scheme.slug),
        },
    )


def already_registered(expression) -> None:
    send_email(
        "already_registered",
        expression.email,
        {
            "name": expression.name,
            "scheme": expression.scheme,
            "sign_in_url": _url("accounts:login"),
        },
    )


def rejoin_link(expression, participant, raw_token: str, expires_at) -> None:
    """To someone who withdrew and asked about the scheme again: when, and a link to rejoin."""
    scheme = expression.scheme
    send_email(
        "rejoin_link",
        expression.email,
        {
            # the name on their account, not whatever the interest form was given
            "name": participant.user.full_name or expression.name,
            "scheme": scheme,
            "withdrawn_at": participant.withdrawn_at,
            "rejoin_url": _url("enrolment:rejoin", raw_token),
            "expires_at": expires_at,
            "scheme_url": _url("schemes:detail", scheme.slug),
        },
    )


def rejoined(participant) -> None:
    send_email(
        "rejoined",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
            "home_url": _url("enrolment:participation", participant.scheme.slug),
            "identity_url": _url("enrolment:edit_identity", participant.scheme.slug),
        },
    )


def registration_received(participant) -> None:
    send_email(
        "registration_received",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
            "home_url": _url("enrolment:participation", participant.scheme.slug),
        },
    )


def approved(participant) -> None:
    send_email(
        "approved",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
            "home_url": _url("enrolment:participation", participant.scheme.slug),
        },
    )


def eligibility_queried(participant) -> None:
    send_email(
        "eligibility_queried",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
            "home_url": _url("enrolment:participation", participant.scheme.slug),
        },
    )


def declined(participant) -> None:
    send_email(
        "declined",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
        },
    )


def withdrawn(participant) -> None:
    send_email(
        "withdrawn",
        participant.user.email,
        {
            "participant": participant,
            "scheme": participant.scheme,
        },
    )


def ended_by_institution(participant) -> None:
    """To a leaver withdrawn because their institution's directory says they have left (SCIM
    provisioning): they did not ask, so nothing here confirms a choice of theirs."""
    send_email(
        "ended_by_institution",
        participant.user.email,
        {"participant": participant, "scheme": participant.scheme},
    )


def import_invitation(participant, raw_token: str, expires_at, documents: dict) -> None:
    """To someone the coordinator imported: review the profile and give the consents (only the
    person can), with the information pack. ``documents``: the scheme's current ones."""
    scheme = participant.scheme
    send_email(
        "import_invitation",
        participant.user.email,
        {
            "name": participant.user.full_name,
            "scheme": scheme,
            "url": _url("enrolment:accept_import", raw_token),
            "expires_at": expires_at,
            "information_sheet": documents.get("information_sheet"),
            "privacy_notice": documents.get("privacy_notice"),
        },
        key=f"import-invitation-{participant.pk}",
    )
