"""Who is a site administrator (the one place that decides it), and the decorators every staff
page and staff API view states its rule with: ``site_admin`` and ``scheme_staff`` (beside the
roles they check; ``core.access`` has ``public`` and ``signed_in``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from equimentor.core import audit
from equimentor.core.roles import SUPERUSER_ACTS_AS, Role
from equimentor.schemes.access import acting_roles, held_roles
from equimentor.schemes.models import Scheme
from equimentor.staff.models import SiteAdministrator, StaffInvitation

SITE_ADMIN_CACHE = "_equimentor_site_admin"  # the answer, remembered on the user object


def is_site_admin(user) -> bool:
    """A site administrator (a ``SiteAdministrator`` row), or a superuser, who is one too."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = user.__dict__.get(SITE_ADMIN_CACHE)
    if cached is None:
        cached = SiteAdministrator.objects.filter(user=user).exists()
        user.__dict__[SITE_ADMIN_CACHE] = cached
    return cached


def site_admins() -> QuerySet:

    return SiteAdministrator.objects.select_related("user", "granted_by").order_by(
        "user__full_name"
    )


# -- who may use a staff page (the decorators; core.access has public and signed_in) ---------


def site_admin(view):
    """Site administrators (and superusers): schemes, institutions, appointments."""

    @wraps(view)
    def inner(request, *args, **kwargs):
        if not is_site_admin(request.user):
            raise PermissionDenied("Only a site administrator can use this page.")
        return view(request, *args, **kwargs)

    wrapped = login_required(inner)
    wrapped.access_rule = "site-admin"
    return wrapped


@dataclass(frozen=True)
class StaffAccess:
    """What ``scheme_staff`` resolved: the scheme in the URL and the roles its reader acts in."""

    scheme: object  # schemes.models.Scheme
    roles: frozenset[Role]
    held: Mapping[Role, object] = field(default_factory=dict)  # role -> its StaffRole row
    site_admin: bool = False  # let in as a site administrator (``site_admins=True``)

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def institutions(self) -> tuple:
        """The institutions a committee member's reports are limited to, if the reader acts in
        no wider role; none means the whole scheme."""
        if self.has(Role.COORDINATOR) or Role.COMMITTEE not in self.held:
            return ()
        return tuple(self.held[Role.COMMITTEE].institutions.all())


def resolve_staff(
    user, slug: str, roles: tuple[Role, ...], *, site_admins: bool = False
) -> StaffAccess:
    """The scheme ``slug`` (404 if there is none) if ``user`` acts in one of ``roles`` in it, or
    is a site administrator where ``site_admins`` (403 otherwise). A superuser acts in every role
    but the safeguarding lead's; when a safeguarding-only rule decides about a superuser, the
    decision is audited either way."""
    scheme = get_object_or_404(Scheme, slug=slug)
    held = held_roles(user, scheme)
    acting = acting_roles(user, held)
    as_site_admin = site_admins and is_site_admin(user)
    allowed = bool(acting & set(roles)) or as_site_admin
    if user.is_superuser and Role.SAFEGUARDING in roles and not set(roles) & SUPERUSER_ACTS_AS:
        audit.record(
            "safeguarding.superuser_" + ("allowed" if allowed else "refused"),
            scheme,
            actor=user,
            scheme=scheme,
        )
    if not allowed:
        raise PermissionDenied("You do not have a staff role in this scheme that opens this page.")
    return StaffAccess(scheme=scheme, roles=acting, held=held, site_admin=as_site_admin)


def scheme_staff(*roles: Role, site_admins: bool = False):
    """Signed-in staff of the scheme in the URL (``slug``) acting in one of ``roles`` (and, with
    ``site_admins``, site administrators).

    Resolves the scheme (404 if none), enforces the roles (403), and hands the view what it
    resolved as ``request.staff`` (a ``StaffAccess``). Wraps a view function, or decorates a
    REST framework view class (its permission does the same, and sets ``request.staff``).
    """
    roles = tuple(Role(r) for r in roles)
    if not roles:
        raise ValueError("scheme_staff needs at least one role")
    rule = "scheme-staff:" + ",".join(roles) + ("+site-admin" if site_admins else "")

    def decorate(view):
        if isinstance(view, type):
            view.permission_classes = [_permission(roles, site_admins)]
            view.access_rule = rule
            view.staff_roles, view.site_admins = roles, site_admins
            return view

        @wraps(view)
        def inner(request, *args, **kwargs):
            request.staff = resolve_staff(
                request.user, kwargs["slug"], roles, site_admins=site_admins
            )
            return view(request, *args, **kwargs)

        wrapped = login_required(inner)
        wrapped.access_rule = rule
        wrapped.staff_roles, wrapped.site_admins = roles, site_admins
        return wrapped

    return decorate


def _permission(roles: tuple[Role, ...], site_admins: bool):
    from rest_framework.permissions import BasePermission

    class SchemeStaff(BasePermission):
        def has_permission(self, request, view) -> bool:
            if not request.user or not request.user.is_authenticated:
                return False
            request.staff = resolve_staff(
                request.user, view.kwargs["slug"], roles, site_admins=site_admins
            )
            return True

    SchemeStaff.__doc__ = f"Staff of the scheme in the URL acting as {', '.join(roles)}."
    return SchemeStaff


def get_invitation_in_scheme(scheme, pk) -> StaffInvitation:
    """An invitation to a role in ``scheme`` (whose staff ``scheme_staff`` resolved); 404 for
    another scheme's. Who may withdraw it is ``staff.services``' rule."""
    invitation = (
        StaffInvitation.objects.select_related("scheme").filter(scheme=scheme, pk=pk).first()
    )
    if invitation is None:
        raise Http404("No such invitation in this scheme.")
    return invitation
