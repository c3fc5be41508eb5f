"""Home, health check, and shared error pages."""

from __future__ import annotations

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from equimentor.core.access import public
from equimentor.enrolment.models import Participant
from equimentor.schemes.access import staff_schemes
from equimentor.schemes.models import Scheme, StaffRole


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
        context["coordinated"] = staff_schemes(request.user, "coordinator")
    return render(request, "core/home.html", context)


@public
@never_cache
def healthz(request):
    """200 when the database answers, 503 otherwise. Says nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def rate_limited(request, exception=None):
    return render(request, "core/rate_limited.html", status=429)
