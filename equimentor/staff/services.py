"""Staffing: site administrators, invitations to scheme roles, granting and revoking them.

Every change is audited and emailed to the person it concerns (``staff.emails``, sent by the
outbox task after commit). The rules:

- nobody grants (or revokes, or invites to) a role they do not hold in that scheme themselves,
  except site administrators (``GRANTS``: a coordinator's role covers evaluators and committee
  members, whose pages are within a coordinator's own; only leads make leads, except a scheme's
  first);
- a scheme keeps at least one coordinator and one safeguarding lead once it has them: removing
  the last is refused, with the reason;
- an invitation works once, until it expires; accepting it signs the person in (or creates the
  account), and grants the role only if whoever sent it may still grant it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import login, logout
from django.db import transaction
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core import audit
from equimentor.core.roles import Role
from equimentor.schemes.models import Scheme, StaffRole
from equimentor.staff import emails
from equimentor.staff.access import is_site_admin
from equimentor.staff.models import SiteAdministrator, StaffInvitation

# A scheme never loses the last holder of these (once it has one).
KEPT = (Role.COORDINATOR, Role.SAFEGUARDING)


class StaffError(Exception):
    """A staffing change refused, with the reason for the person who asked."""


def find_user(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def find_or_create_user(email: str, full_name: str, *, via: str = "staff") -> User:
    """The account with this address, made (without a password: links sign in) if none."""
    user = find_user(email)
    if user is None:
        user = User.objects.create_user(
            email.strip().lower(), full_name=" ".join(full_name.split())
        )
        audit.record("accounts.created", user, actor=None, via=via)
    return user


# -- site administrators -----------------------------------------------------------------------


@transaction.atomic
def appoint_site_admin(user: User, *, actor) -> SiteAdministrator:
    """Make ``user`` a site administrator (``actor`` None: from the command line)."""
    if actor is not None and not is_site_admin(actor):
        raise StaffError("Only a site administrator can appoint another.")
    admin, created = SiteAdministrator.objects.get_or_create(
        user=user, defaults={"granted_by": actor}
    )
    if not created:
        raise StaffError(f"{user.full_name or 'This person'} is already a site administrator.")
    audit.record("staff.site_admin.appointed", user, actor=actor)
    emails.site_admin_appointed(user, actor)
    return admin


@transaction.atomic
def remove_site_admin(user: User, *, actor) -> None:
    if actor is not None and not is_site_admin(actor):
        raise StaffError("Only a site administrator can remove another.")
    rows = list(SiteAdministrator.objects.select_for_update().all())
    mine = next((r for r in rows if r.user_id == user.pk), None)
    if mine is None:
        raise StaffError("This person is not a site administrator.")
    if len(rows) == 1 and not User.objects.filter(is_superuser=True, is_active=True).exists():
        raise StaffError(
            "The site must keep at least one site administrator: appoint another first."
        )
    mine.delete()
    audit.record("staff.site_admin.removed", user, actor=actor)
    emails.site_admin_removed(user, actor)


# -- scheme roles ------------------------------------------------------------------------------


# The roles each role may grant, revoke and invite to, in its own scheme: a role's own, and for
# a coordinator the roles whose pages are the coordinator's own or narrower (evaluation and
# aggregate reports). Cases are not a coordinator's: only leads (and site administrators) make
# or unmake a safeguarding lead, so a coordinator can neither read cases through a lead of their
# choosing nor remove a lead handling a concern about them; the one exception is a scheme's
# first lead, whom its coordinator may invite.
GRANTS = {
    Role.COORDINATOR: {Role.COORDINATOR, Role.EVALUATOR, Role.COMMITTEE},
    Role.SAFEGUARDING: {Role.SAFEGUARDING},
    Role.EVALUATOR: set(),
    Role.COMMITTEE: set(),
}


def grantable_roles(actor, scheme: Scheme) -> list[Role]:
    """The roles ``actor`` may grant, revoke and invite to in ``scheme``."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return []
    if is_site_admin(actor):
        return list(Role)
    held = {
        Role(r)
        for r in StaffRole.objects.filter(user=actor, scheme=scheme).values_list("role", flat=True)
    }
    roles = set().union(*(GRANTS[r] for r in held)) if held else set()
    if (
        Role.COORDINATOR in held
        and not StaffRole.objects.filter(scheme=scheme, role=Role.SAFEGUARDING).exists()
    ):
        roles.add(Role.SAFEGUARDING)  # the scheme's first lead
    return [r for r in Role if r in roles]


def may_grant(actor, scheme: Scheme, role: Role) -> bool:
    """May ``actor`` grant, revoke or invite to ``role`` in ``scheme``? (``GRANTS``)"""
    return Role(role) in grantable_roles(actor, scheme)


def _check_may_grant(actor, scheme: Scheme, role: Role) -> None:
    if not may_grant(actor, scheme, role):
        raise StaffError(
            f"You may not grant or remove the {Role(role).label.lower()} role in this scheme: "
            "only holders of a role grant it (a coordinator also evaluators and committee "
            "members; a safeguarding lead is made by the scheme's leads), or a site "
            "administrator."
        )


def _check_institutions(role: Role, institutions) -> list:
    institutions = list(institutions or [])
    if institutions and role != Role.COMMITTEE:
        raise StaffError("Only a committee member's role is limited to institutions.")
    return institutions


@transaction.atomic
def grant_role(
    scheme: Scheme, user: User, role: Role, *, actor, institutions=(), via_invitation=None
) -> StaffRole:
    """Give ``user`` ``role`` in ``scheme`` (``actor`` None: from the command line)."""
    role = Role(role)
    if actor is not None:
        _check_may_grant(actor, scheme, role)
    institutions = _check_institutions(role, institutions)
    if StaffRole.objects.filter(scheme=scheme, user=user, role=role).exists():
        raise StaffError(f"{user.full_name or 'This person'} already holds this role.")
    staff = StaffRole.objects.create(
        scheme=scheme, user=user, role=role, granted_at=timezone.now(), granted_by=actor
    )
    if institutions:
        staff.institutions.set(institutions)
    audit.record(
        "staff.role.granted",
        staff,
        actor=actor,
        scheme=scheme,
        role=role.value,
        user_id=user.pk,
        institution_ids=sorted(i.pk for i in institutions),
        invitation_id=via_invitation.pk if via_invitation else None,
    )
    emails.role_granted(staff, actor)
    return staff


@transaction.atomic
def revoke_role(staff: StaffRole, *, actor) -> None:
    """Take a role away; the last coordinator or safeguarding lead of a scheme is kept."""
    scheme = Scheme.objects.select_for_update().get(pk=staff.scheme_id)  # one revoke at a time
    staff = StaffRole.objects.select_related("user").filter(pk=staff.pk).first()
    if staff is None:
        raise StaffError("This role has already been revoked.")
    role = Role(staff.role)
    if actor is not None:
        _check_may_grant(actor, scheme, role)
    if role in KEPT and StaffRole.objects.filter(scheme=scheme, role=role).count() == 1:
        raise StaffError(
            f"A scheme must keep at least one {role.label.lower()}: grant the role to someone "
            "else before revoking it from its last holder."
        )
    audit.record(
        "staff.role.revoked",
        staff,
        actor=actor,
        scheme=scheme,
        role=role.value,
        user_id=staff.user_id,
    )
    user = staff.user
    staff.delete()
    emails.role_revoked(user, scheme, role, actor)


@transaction.atomic
def set_institutions(staff: StaffRole, institutions, *, actor) -> StaffRole:
    """Change the institutions a committee member's reports are limited to."""
    _check_may_grant(actor, staff.scheme, Role(staff.role))
    institutions = _check_institutions(Role(staff.role), institutions)
    staff.institutions.set(institutions)
    audit.record(
        "staff.role.institutions_changed",
        staff,
        actor=actor,
        scheme=staff.scheme,
        institution_ids=sorted(i.pk for i in institutions),
    )
    return staff


# -- invitations -------------------------------------------------------------------------------


@transaction.atomic
def invite(
    scheme: Scheme, *, email: str, full_name: str, role: Role, actor, institutions=()
) -> StaffInvitation:
    """Email ``email`` a single-use, expiring invitation to take ``role`` in ``scheme``.

    An earlier invitation still waiting for the same person and role is withdrawn (only the
    newest link works).
    """
    role = Role(role)
    _check_may_grant(actor, scheme, role)
    institutions = _check_institutions(role, institutions)
    email = email.strip().lower()
    existing = find_user(email)
    if existing and StaffRole.objects.filter(scheme=scheme, user=existing, role=role).exists():
        raise StaffError(f"{existing.full_name or email} already holds this role.")
    now = timezone.now()
    StaffInvitation.objects.filter(
        scheme=scheme, email__iexact=email, role=role, accepted_at=None, withdrawn_at=None
    ).update(withdrawn_at=now)
    raw, hashed = StaffInvitation.new_token()
    invitation = StaffInvitation.objects.create(
        scheme=scheme,
        role=role,
        email=email,
        full_name=" ".join(full_name.split()),
        invited_by=actor,
        token_hash=hashed,
        created_at=now,
        expires_at=now + StaffInvitation.lifetime(),
    )
    if institutions:
        invitation.institutions.set(institutions)
    audit.record("staff.invited", invitation, actor=actor, scheme=scheme, role=role.value)
    emails.invitation(invitation, raw)
    return invitation


@transaction.atomic
def withdraw_invitation(invitation: StaffInvitation, *, actor) -> None:
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    _check_may_grant(actor, invitation.scheme, Role(invitation.role))
    if not invitation.is_pending:
        raise StaffError("This invitation is no longer waiting to be accepted.")
    invitation.withdrawn_at = timezone.now()
    invitation.save(update_fields=["withdrawn_at"])
    audit.record("staff.invitation.withdrawn", invitation, actor=actor, scheme=invitation.scheme)


def pending_invitation(raw: str) -> StaffInvitation:
    """The invitation a link carries, if it can still be accepted; StaffError otherwise."""
    invitation = StaffInvitation.find(raw)
    if invitation is None:
        raise StaffError("This invitation link is not valid.")
    return _usable(invitation)


def _usable(invitation: StaffInvitation) -> StaffInvitation:
    if invitation.accepted_at is not None:
        raise StaffError("This invitation has already been used. Sign in to reach your role.")
    if invitation.withdrawn_at is not None:
        raise StaffError("This invitation was withdrawn. Ask whoever sent it for a new one.")
    if invitation.is_expired:
        raise StaffError("This invitation has expired. Ask whoever sent it for a new one.")
    return invitation


@dataclass
class Accepted:
    user: User
    staff: StaffRole
    created_account: bool


@transaction.atomic
def accept_invitation(request, raw: str) -> Accepted:
    """Use an invitation: find or create the invited person's account, grant the role, and sign
    them in (signing out whoever else was signed in on this browser)."""
    found = pending_invitation(raw)
    invitation = (
        StaffInvitation.objects.select_for_update(of=("self",))
        .select_related("scheme", "invited_by")
        .get(pk=found.pk)
    )
    _usable(invitation)  # again, under the lock: a second click finds it used
    if not may_grant(invitation.invited_by, invitation.scheme, Role(invitation.role)):
        raise StaffError(
            "Whoever sent this invitation can no longer grant this role. Ask the scheme's "
            "coordinator for a new one."
        )
    created = find_user(invitation.email) is None
    user = find_or_create_user(invitation.email, invitation.full_name, via="staff_invitation")
    if not user.is_active:
        raise StaffError("This account is not active.")
    staff = StaffRole.objects.filter(
        scheme=invitation.scheme, user=user, role=invitation.role
    ).first() or grant_role(
        invitation.scheme,
        user,
        Role(invitation.role),
        actor=invitation.invited_by,
        institutions=invitation.institutions.all(),
        via_invitation=invitation,
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record("staff.invitation.accepted", invitation, actor=user, scheme=invitation.scheme)
    if request.user.is_authenticated and request.user.pk != user.pk:
        logout(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit.record("accounts.signed_in", user, actor=user, method="staff_invitation")
    return Accepted(user=user, staff=staff, created_account=created)
