"""The home page: the open schemes for visitors; for the signed-in, their own schemes and their
staff work. Above every domain it reads (docs/architecture.md, "Layers")."""

from __future__ import annotations

from django.shortcuts import render

from equimentor.core.access import public
from equimentor.core.roles import Role
from equimentor.enrolment.models import Participant
from equimentor.schemes.access import staff_schemes
from equimentor.schemes.models import Scheme, StaffRole
from equimentor.staff.access import is_site_admin


@public
def home(request):
    """Open schemes for visitors; one's own schemes and staff work for the signed-in."""
    context = {"schemes": Scheme.objects.filter(is_open=True).order_by("name")}
    if request.user.is_authenticated:
        context["participations"] = (
            Participant.objects.filter(user=request.user)
            .select_related("scheme")
            .order_by("scheme__name")
        )
        context["staff_roles"] = (
            StaffRole.objects.filter(user=request.user)
            .select_related("scheme")
            .order_by("scheme__name", "role")
        )
        context["coordinated"] = staff_schemes(request.user, Role.COORDINATOR)
        # Staff come here to work: their home does not invite them to register as participants
        # (unless they already take part somewhere).
        context["staff_home"] = not context["participations"] and (
            bool(context["staff_roles"]) or is_site_admin(request.user)
        )
        context["is_site_admin"] = is_site_admin(request.user)
    return render(request, "portal/home.html", context)
