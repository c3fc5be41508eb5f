"""Object-level access to schemes: the one place that decides who is staff of which scheme."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from equimentor.schemes.models import Scheme, StaffRole

COORDINATOR = StaffRole.Role.COORDINATOR


def staff_schemes(user, *roles: str) -> QuerySet[Scheme]:
    """Schemes in which ``user`` holds one of ``roles`` (all schemes for a superuser)."""
    if not user.is_authenticated:
        return Scheme.objects.none()
    if user.is_superuser:
        return Scheme.objects.all()
    return Scheme.objects.filter(
        staff_roles__user=user, staff_roles__role__in=roles or [COORDINATOR]
    ).distinct()


def has_role(user, scheme: Scheme, *roles: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return StaffRole.objects.filter(user=user, scheme=scheme, role__in=roles).exists()


def get_scheme_for_staff(user, slug: str, *roles: str) -> Scheme:
    """The scheme ``slug`` if ``user`` holds one of ``roles`` in it; otherwise PermissionDenied."""
    scheme = get_object_or_404(Scheme, slug=slug)
    if not has_role(user, scheme, *(roles or (COORDINATOR,))):
        raise PermissionDenied("You do not have a staff role in this scheme.")
    return scheme
