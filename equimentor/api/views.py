"""The REST API. Each view states who may use it; object checks reuse the pages' helpers."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import generics
from rest_framework.permissions import AllowAny, IsAuthenticated

from equimentor.api.serializers import ParticipationSerializer, SchemeSerializer
from equimentor.core.roles import Role
from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme
from equimentor.staff.access import scheme_staff


class SchemeList(generics.ListAPIView):
    """Public: every scheme and who it is for."""

    permission_classes = [AllowAny]
    serializer_class = SchemeSerializer
    queryset = Scheme.objects.order_by("name")


class SchemeDetail(generics.RetrieveAPIView):
    """Public: one scheme."""

    permission_classes = [AllowAny]
    serializer_class = SchemeSerializer
    queryset = Scheme.objects.all()
    lookup_field = "slug"


class MyParticipations(generics.ListAPIView):
    """Signed in: the caller's own participations."""

    permission_classes = [IsAuthenticated]
    serializer_class = ParticipationSerializer

    def get_queryset(self):
        return (
            Participant.objects.filter(user=self.request.user)
            .select_related("scheme", "institution")
            .order_by("scheme__name")
        )


@scheme_staff(Role.COORDINATOR)
class SchemeRegistrations(generics.ListAPIView):
    """Coordinators of the scheme: its registrations, optionally filtered by ``?status=``."""

    serializer_class = ParticipationSerializer

    def get_queryset(self):
        scheme = self.request.staff.scheme
        rows = (
            Participant.objects.filter(scheme=scheme)
            .select_related("scheme", "institution")
            .order_by("-registered_at")
        )
        status = self.request.query_params.get("status")
        return rows.filter(status=status) if status else rows


@scheme_staff(Role.COORDINATOR)
class SchemeRegistration(generics.RetrieveAPIView):
    """Coordinators of the scheme: one registration."""

    serializer_class = ParticipationSerializer

    def get_object(self):
        scheme = self.request.staff.scheme
        return get_object_or_404(
            Participant.objects.select_related("scheme", "institution"),
            scheme=scheme,
            pk=self.kwargs["pk"],
        )
