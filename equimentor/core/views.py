"""Home, health check, and shared error pages."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from equimentor.core import health
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
    return render(request, "core/home.html", context)


@public
@never_cache
def healthz(request):
    """Liveness: 200 while this process answers requests. Checks nothing else (see readyz)."""
    return JsonResponse({"status": "ok"})


@public
@never_cache
def readyz(request):
    """Readiness: 200 when the database, the cache and (if tasks need one) a worker answer; 503
    otherwise, naming only which of them is down."""
    checks = health.readiness()
    ready = all(state != "down" for state in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


def rate_limited(request, exception=None):
    return render(request, "core/rate_limited.html", status=429)


@public
def bad_request(request, exception=None):
    """400: a request the site cannot act on; a ``QueryError`` says why (see ``core.params``)."""
    from equimentor.core.params import QueryError

    message = str(exception) if isinstance(exception, QueryError) else ""
    return render(request, "400.html", {"message": message}, status=400)
