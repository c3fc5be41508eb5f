"""One function per email the staff app sends (templates in ``templates/emails/staff_*``)."""

from __future__ import annotations

from django.conf import settings

from equimentor.core.mail import absolute_url, send_email
from equimentor.core.roles import Role


def _from(actor) -> str:
    """Who did it, as the email names them: the person, or, for a change made on the server's
    command line (no actor), the people who run the site rather than an administrator."""
    if actor is None:
        return "The team that runs this site"
    return actor.full_name or "A site administrator"


def invitation(invitation, raw_token: str) -> None:
    send_email(
        "staff_invitation",
        invitation.email,
        {
            "invitation": invitation,
            "scheme": invitation.scheme,
            "role": Role(invitation.role).label,
            "inviter": _from(invitation.invited_by),
            "url": absolute_url("staff:accept", raw_token),
            "days": settings.STAFF_INVITATION_DAYS,
        },
        key=f"staff-invitation-{invitation.pk}",
        scheme=None,  # the link signs its holder in: kept off the coordinators' email list
    )


def role_granted(staff, actor) -> None:
    send_email(
        "staff_role_granted",
        staff.user.email,
        {
            "user": staff.user,
            "scheme": staff.scheme,
            "role": Role(staff.role).label,
            "by": _from(actor),
            "institutions": list(staff.institutions.all()),
            "url": absolute_url("portal:home"),
        },
        key=f"staff-role-granted-{staff.pk}",
    )


def role_revoked(user, scheme, role: Role, actor) -> None:
    send_email(
        "staff_role_revoked",
        user.email,
        {"user": user, "scheme": scheme, "role": Role(role).label, "by": _from(actor)},
    )


def site_admin_appointed(user, actor) -> None:
    send_email(
        "staff_site_admin_appointed",
        user.email,
        {"user": user, "by": _from(actor), "url": absolute_url("staff:site_home")},
        scheme=None,
    )


def site_admin_removed(user, actor) -> None:
    send_email(
        "staff_site_admin_removed", user.email, {"user": user, "by": _from(actor)}, scheme=None
    )
