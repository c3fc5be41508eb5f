"""Object-level access to schemes: the one place that decides who is staff of which scheme.

A person acts in a scheme in the roles they hold there (``StaffRole`` rows). A superuser also
acts in every role except the safeguarding lead's (``core.roles.SUPERUSER_ACTS_AS``): cases are
read only by the scheme's own leads. Views do not call these to guard themselves: the
``staff.access.scheme_staff`` decorator does, once, and hands the view what it resolved.
"""

from __future__ import annotations

from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404

from equimentor.core.roles import SUPERUSER_ACTS_AS, Role
from equimentor.schemes.models import Scheme, SchemeDocument, StaffRole


def held_roles(user, scheme: Scheme) -> dict[Role, StaffRole]:
    """The roles ``user`` holds in ``scheme``, each with its row (a committee member's with the
    institutions her reports are limited to, read with it)."""
    if not user.is_authenticated:
        return {}
    rows = list(StaffRole.objects.filter(user=user, scheme=scheme))
    # only a committee role is limited to institutions: no query for anyone else's
    prefetch_related_objects([r for r in rows if r.role == Role.COMMITTEE], "institutions")
    return {Role(r.role): r for r in rows}


def acting_roles(user, held) -> frozenset[Role]:
    """The roles ``user`` may act in, given the roles ``held`` in a scheme."""
    if not user.is_authenticated:
        return frozenset()
    roles = frozenset(held)
    return roles | SUPERUSER_ACTS_AS if user.is_superuser else roles


def has_role(user, scheme: Scheme, *roles: Role) -> bool:
    """May ``user`` act in one of ``roles`` in ``scheme``?"""
    return bool(acting_roles(user, held_roles(user, scheme)) & set(roles))


def staff_schemes(user, *roles: Role) -> QuerySet[Scheme]:
    """Schemes in which ``user`` may act in one of ``roles`` (coordinator if none named)."""
    roles = tuple(roles) or (Role.COORDINATOR,)
    if not user.is_authenticated:
        return Scheme.objects.none()
    if user.is_superuser and set(roles) & SUPERUSER_ACTS_AS:
        return Scheme.objects.all()
    return Scheme.objects.filter(staff_roles__user=user, staff_roles__role__in=roles).distinct()


def get_document_for_coordinator(scheme: Scheme, pk: int) -> SchemeDocument:
    """A document version of ``scheme`` (whose coordinator ``scheme_staff`` resolved); 404 for
    anyone else's."""
    document = SchemeDocument.objects.filter(scheme=scheme, pk=pk).first()
    if document is None:
        raise Http404("No such document in this scheme.")
    return document


def get_role_in_scheme(scheme: Scheme, pk: int) -> StaffRole:
    """A role held in ``scheme`` (whose staff ``scheme_staff`` resolved); 404 for another
    scheme's. Who may revoke it is ``staff.services``' rule."""
    held = StaffRole.objects.select_related("user", "scheme").filter(scheme=scheme, pk=pk).first()
    if held is None:
        raise Http404("No such role in this scheme.")
    return held
