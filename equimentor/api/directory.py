"""The mentor directory and a mentee's choices over the API.

Same rules as the pages: ``directory.access`` decides who sees what, ``directory.services``
validates every change. Identity answers never appear in the API.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from equimentor.api.pagination import PositionCursor
from equimentor.api.preconditions import (
    IF_MATCH,
    IF_NONE_MATCH,
    expect_match,
    require_match,
    tagged,
)
from equimentor.api.problems import Refused
from equimentor.api.serializers import IdField
from equimentor.directory import services
from equimentor.directory.access import (
    directory_ids,
    get_own_mentee,
    get_viewer,
    per_mentor,
)
from equimentor.directory.forms import MentorFilterForm
from equimentor.directory.models import Choice
from equimentor.enrolment.models import Participant
from equimentor.pairing import exclusions


class MentorSerializer(serializers.ModelSerializer):
    """A published listing. Fields the mentor hides are null."""

    name = serializers.CharField(source="user.full_name")
    career_stage_label = serializers.CharField()
    institution = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    career_summary = serializers.SerializerMethodField()
    offers = serializers.SerializerMethodField()
    free_places = serializers.IntegerField(source="free")

    class Meta:
        model = Participant
        fields = [
            "id",
            "name",
            "job_title",
            "career_stage",
            "career_stage_label",
            "pathway",
            "institution",
            "department",
            "research_interests",
            "career_summary",
            "offers",
            "meeting_mode",
            "free_places",
        ]
        read_only_fields = fields

    def _shown(self, mentor: Participant, flag: str, value):
        return value if getattr(mentor.listing, flag) else None

    def get_institution(self, mentor) -> str | None:
        return self._shown(mentor, "show_institution", mentor.institution.name)

    def get_department(self, mentor) -> str | None:
        return self._shown(mentor, "show_department", mentor.department)

    def get_career_summary(self, mentor) -> str | None:
        return self._shown(mentor, "show_career_summary", mentor.career_summary)

    def get_offers(self, mentor) -> str | None:
        return self._shown(mentor, "show_offers", mentor.offers)


class DirectoryMentors(generics.ListAPIView):
    """Approved participants and coordinators of the scheme: its published mentors, in the order
    the directory page shows them (those with a free place first, then by name).

    Filters as on the directory page: ``institution`` (id), ``career_stage`` (index),
    ``pathway``, ``specialty``, ``interests`` (every word must appear), ``has_capacity``.
    """

    permission_classes = [IsAuthenticated]
    serializer_class = MentorSerializer
    pagination_class = PositionCursor  # the kept order's ids, sliced (no mentor read to page)

    def get_queryset(self):  # (for the schema; list() reads the directory's own order)
        return Participant.objects.none()

    def list(self, request, *args, **kwargs):
        viewer = get_viewer(request.user, self.kwargs["slug"])
        directory = viewer.directory()  # its version, read with the scheme
        form = MentorFilterForm(directory, request.query_params)
        ids = self.paginator.paginate_ids(request, directory_ids(directory, form))
        # each mentor's JSON is the same for every viewer: kept at the directory's version
        rows = per_mentor(directory, "api", ids, self._serialized)
        return self.get_paginated_response(rows)

    def _serialized(self, mentors: list[Participant]) -> dict[int, dict]:
        return {row["id"]: row for row in self.get_serializer(mentors, many=True).data}


class ChoiceItemSerializer(serializers.Serializer):
    mentor = IdField()
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )


class ChoiceOutSerializer(serializers.ModelSerializer):
    mentor_name = serializers.CharField(source="mentor.user.full_name")

    class Meta:
        model = Choice
        fields = ["rank", "mentor", "mentor_name", "note"]
        read_only_fields = fields


class ChoicesSerializer(serializers.Serializer):
    choices = ChoiceItemSerializer(many=True)


class ChoicesOutSerializer(serializers.Serializer):
    max_choices = serializers.IntegerField()
    open = serializers.BooleanField()
    closed_reason = serializers.CharField()
    choices = ChoiceOutSerializer(many=True)


def _choices_payload(mentee: Participant) -> dict:
    rows = Choice.objects.filter(mentee=mentee).select_related("mentor__user").order_by("rank")
    reason = exclusions.choices_closed_reason(mentee.scheme)
    return ChoicesOutSerializer(
        {
            "max_choices": mentee.scheme.max_choices,
            "open": not reason,
            "closed_reason": reason,
            "choices": rows,
        }
    ).data


class MyChoices(APIView):
    """Approved mentees of the scheme: their own ranked choices.

    ``PUT`` replaces them with ``{"choices": [{"mentor": id, "note": "..."}, ...]}``, best first;
    a refusal answers 400 with the reason in ``detail``.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ChoicesOutSerializer, parameters=[IF_NONE_MATCH])
    def get(self, request, slug: str):
        return tagged(request, _choices_payload(get_own_mentee(request.user, slug)))

    @extend_schema(request=ChoicesSerializer, responses=ChoicesOutSerializer, parameters=[IF_MATCH])
    def put(self, request, slug: str):
        mentee = get_own_mentee(request.user, slug)
        expect_match(request)
        data = ChoicesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            locked = Participant.objects.select_for_update().get(pk=mentee.pk)
            require_match(request, _choices_payload(locked))  # ETag of GET: none lost
            try:
                services.set_choices(
                    mentee,
                    [(c["mentor"], c.get("note", "")) for c in data.validated_data["choices"]],
                    actor=request.user,
                )
            except services.DirectoryError as exc:
                raise Refused(str(exc), status=400) from exc
        return tagged(request, _choices_payload(mentee))
