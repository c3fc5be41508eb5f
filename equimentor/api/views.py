"""The REST API. Each view states who may use it; object checks reuse the pages' helpers."""

from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny, IsAuthenticated

from equimentor.api.enrolment import registration_data
from equimentor.api.preconditions import IF_NONE_MATCH, tagged
from equimentor.api.problems import invalid_parameter
from equimentor.api.serializers import ParticipationSerializer, SchemeSerializer
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_participant_for_coordinator
from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme
from equimentor.staff.access import scheme_staff


class SchemeList(generics.ListAPIView):
    """Public: every scheme and who it is for."""

    permission_classes = [AllowAny]
    serializer_class = SchemeSerializer
    queryset = Scheme.objects.order_by("name", "id")


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
            .annotate(scheme_name=F("scheme__name"))  # (the cursor reads its order from a row)
            .order_by("scheme_name", "id")
        )


@scheme_staff(Role.COORDINATOR)
class SchemeRegistrations(generics.ListAPIView):
    """Coordinators of the scheme: its registrations, optionally filtered by ``?status=``."""

    serializer_class = ParticipationSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", str, enum=Participant.Status.values, description="Only this status."
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        scheme = self.request.staff.scheme
        rows = (
            Participant.objects.filter(scheme=scheme)
            .select_related("scheme", "institution")
            .order_by("-registered_at", "-id")
        )
        status = self.request.query_params.get("status")
        if status is None:
            return rows
        if status not in Participant.Status.values:
            raise invalid_parameter(
                "status", "Choose one of " + ", ".join(Participant.Status.values) + "."
            )
        return rows.filter(status=status)


@scheme_staff(Role.COORDINATOR)
class SchemeRegistration(generics.RetrieveAPIView):
    """Coordinators of the scheme: one registration, with its ETag (send it as ``If-Match`` to
    approve, query or decline it)."""

    serializer_class = ParticipationSerializer

    @extend_schema(parameters=[IF_NONE_MATCH])
    def get(self, request, slug: str, pk: int):
        participant = get_participant_for_coordinator(request.staff.scheme, pk)
        return tagged(request, registration_data(participant.pk)[1])
