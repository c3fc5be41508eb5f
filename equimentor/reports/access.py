"""Who may see which reports: the one place that decides a reader's scope."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from equimentor.schemes.models import Scheme, StaffRole

COORDINATOR = StaffRole.Role.COORDINATOR
COMMITTEE = StaffRole.Role.COMMITTEE


def get_report_scope(user, slug: str, *, committee: bool) -> tuple[Scheme, object]:
    """(scheme, institution limit or None). Coordinators (and superusers) see the whole scheme;
    with ``committee``, committee members see aggregates, limited to their institution if set.
    Anyone else — other schemes' staff, participants, evaluators — is refused."""
    scheme = get_object_or_404(Scheme, slug=slug)
    if not user.is_authenticated:
        raise PermissionDenied
    if user.is_superuser:
        return scheme, None
    roles = {r.role: r for r in StaffRole.objects.filter(user=user, scheme=scheme)}
    if COORDINATOR in roles:
        return scheme, None
    if committee and COMMITTEE in roles:
        return scheme, roles[COMMITTEE].institution
    raise PermissionDenied("You may not see this scheme's reports.")
