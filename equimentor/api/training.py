"""Training sessions through the API: a coordinator lists, schedules, reads, changes (under
If-Match) and cancels the scheme's sessions, lists who registered and records who came; a
participant lists the sessions open to them, registers (or joins the waiting list) and cancels.

Access is the pages' (``staff.access.scheme_staff``, ``training.access``); a session is checked by
the page's forms (``training.forms.NewSessionForm``, ``SessionForm``) and made, changed and
cancelled by the page's services (``training.services.schedule``, ``update``,
``cancel_session``), attendance by ``services.record_attendance``, registrations by
``services.register`` and ``services.cancel_registration``, each audited there.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.api.preconditions import (
    IF_MATCH,
    IF_NONE_MATCH,
    expect_match,
    require_match,
    tagged,
)
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.staff.access import scheme_staff
from equimentor.training import access, forms, services
from equimentor.training.models import MAX_CAPACITY, Registration, Session

CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


class SessionSerializer(serializers.ModelSerializer):
    series = serializers.CharField(source="series.title", default="", read_only=True)
    confirmed = serializers.IntegerField(source="n_confirmed", read_only=True)
    waiting = serializers.IntegerField(source="n_waiting", read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "title",
            "kind",
            "audience",
            "description",
            "starts_at",
            "ends_at",
            "time_zone",
            "online_link",
            "place",
            "host_name",
            "capacity",
            "registration_deadline",
            "status",
            "series",
            "confirmed",
            "waiting",
        ]
        read_only_fields = fields


class NewSessionSerializer(serializers.Serializer):
    """What the coordinator's *New session* form takes (it checks them: ``forms.NewSessionForm``;
    local times in ``time_zone``)."""

    title = serializers.CharField(max_length=160)
    kind = serializers.ChoiceField(choices=Session.Kind.choices)
    audience = serializers.ChoiceField(choices=Session.Audience.choices)
    relationships = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        help_text="Open relationships whose members may come (audience 'relationships').",
    )
    description = serializers.CharField(required=False, allow_blank=True)
    date = serializers.DateField()
    start_time = serializers.TimeField()
    end_time = serializers.TimeField(help_text="On the same day.")
    time_zone = serializers.CharField(help_text="e.g. Europe/London")
    online_link = serializers.URLField(required=False, allow_blank=True, max_length=500)
    place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    host_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY)
    deadline_date = serializers.DateField(required=False, allow_null=True)
    deadline_time = serializers.TimeField(required=False, allow_null=True)
    series_title = serializers.CharField(required=False, allow_blank=True, max_length=120)
    repeat = serializers.ChoiceField(
        choices=["", "weekly", "fortnightly", "monthly"], required=False
    )
    occurrences = serializers.IntegerField(
        required=False, min_value=1, max_value=services.MAX_OCCURRENCES
    )


class ScheduledSerializer(serializers.Serializer):
    sessions = SessionSerializer(many=True)


class SessionChangeSerializer(NewSessionSerializer):
    """A change to a session (PATCH): any of the *New session* fields but a repeat; what is not
    sent stays as it is. Checked as the page's *Edit session* form checks it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("repeat", "occurrences"):
            self.fields.pop(name)
        for field in self.fields.values():
            field.required = False


class SessionDetailSerializer(SessionSerializer):
    relationships = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "relationships", "attendance_recorded_at"]
        read_only_fields = fields


def _detail(session: Session) -> dict:
    """The session as a coordinator reads it (``session``: one ``access`` has let through)."""
    row = access.with_counts(Session.objects.filter(pk=session.pk)).prefetch_related(
        "relationships"
    )
    return SessionDetailSerializer(row.get()).data


def _as_text(fields: dict) -> dict:
    """Typed values as the page's forms take them (text; relationships as ids)."""
    return {
        k: v if k == "relationships" else ("" if v is None else str(v)) for k, v in fields.items()
    }


def _form_errors(form) -> serializers.ValidationError:
    return serializers.ValidationError(
        {
            ("non_field_errors" if field == "__all__" else field): errors
            for field, errors in form.errors.items()
        }
    )


@scheme_staff(Role.COORDINATOR)
class SchemeSession(APIView):
    """Coordinators of the scheme: one session with its places taken and waiting, and its ETag
    (GET; 304 to If-None-Match); change it before it starts (PATCH with If-Match: 428 without,
    412 if it changed since it was read; 400 per field; 409 when the service refuses, e.g. it
    has started, or fewer places than are taken). A new time, place or link emails everyone
    registered, as on the page."""

    @extend_schema(parameters=[IF_NONE_MATCH], responses={200: SessionDetailSerializer})
    def get(self, request, slug: str, pk: int):
        return tagged(
            request, _detail(access.get_session_for_coordinator(request.staff.scheme, pk))
        )

    @extend_schema(
        parameters=[IF_MATCH],
        request=SessionChangeSerializer,
        responses={200: SessionDetailSerializer, 409: ProblemSerializer},
    )
    def patch(self, request, slug: str, pk: int):
        scheme = request.staff.scheme
        found = access.get_session_for_coordinator(scheme, pk)  # another scheme's: 404 first
        expect_match(request)
        shape = SessionChangeSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        with transaction.atomic():
            session = Session.objects.select_for_update().get(pk=found.pk)
            require_match(request, _detail(session))
            current = forms.SessionForm.initial_for(session)
            current["relationships"] = [r.pk for r in current["relationships"]]
            fields = {k: v for k, v in current.items() if v is not None} | shape.validated_data
            form = forms.SessionForm(
                scheme, _as_text(fields), likely=[session.time_zone, request.user.time_zone]
            )
            if not form.is_valid():
                raise _form_errors(form)
            try:
                services.update(session, form.plan(), actor=request.user)
            except services.TrainingError as exc:
                raise Refused(str(exc)) from exc
        return tagged(request, _detail(session))


@scheme_staff(Role.COORDINATOR)
class CancelSession(APIView):
    """Coordinators of the scheme: cancel a session that has not ended (POST: 200 with the
    session; 409 if it is already cancelled or over). Everyone registered is emailed with a
    calendar cancellation, as on the page; send an Idempotency-Key to retry safely."""

    @extend_schema(request=None, responses={200: SessionDetailSerializer, 409: ProblemSerializer})
    @idempotent
    def post(self, request, slug: str, pk: int):
        session = access.get_session_for_coordinator(request.staff.scheme, pk)
        try:
            services.cancel_session(session, actor=request.user)
        except services.TrainingError as exc:
            raise Refused(str(exc)) from exc
        return Response(_detail(session))


class RegistrationRowSerializer(serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    name = serializers.CharField(source="participant.user.full_name", read_only=True)
    waiting_list_position = serializers.SerializerMethodField()

    class Meta:
        model = Registration
        fields = [
            "id",
            "participant",
            "name",
            "status",
            "registered_at",
            "attended",
            "waiting_list_position",
        ]
        read_only_fields = fields

    def get_waiting_list_position(self, reg) -> int | None:
        return getattr(reg, "position", None)


@scheme_staff(Role.COORDINATOR)
class SessionRegistrations(generics.ListAPIView):
    """Coordinators of the scheme: everyone registered for a session, as on the session's page:
    places first, then the waiting list in its order, then those who left; ``attended`` once
    attendance is recorded (seen only by the coordinator and each person)."""

    serializer_class = RegistrationRowSerializer
    pagination_class = None  # bounded by the session's places and waiting list

    def get_queryset(self):
        session = access.get_session_for_coordinator(self.request.staff.scheme, self.kwargs["pk"])
        return (
            Registration.objects.filter(session=session)
            .select_related("participant__user")
            .order_by("status", "queued_at", "registered_at", "id")
        )

    def list(self, request, *args, **kwargs):
        first = {CONFIRMED: 0, WAITLISTED: 1}
        rows = sorted(self.get_queryset(), key=lambda r: first.get(r.status, 2))  # stable
        position = 0
        for reg in rows:
            if reg.status == WAITLISTED:
                position += 1
                reg.position = position
        return Response(self.get_serializer(rows, many=True).data)


class AttendanceSerializer(serializers.Serializer):
    attended = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        allow_empty=True,
        max_length=10_000,
        help_text="The registrations (ids, among the places) of everyone who came; everyone "
        "else with a place is recorded as absent.",
    )


class AttendanceResultSerializer(serializers.Serializer):
    places = serializers.IntegerField()
    attended = serializers.IntegerField()
    asked = serializers.IntegerField(help_text="People newly asked for anonymous feedback.")


@scheme_staff(Role.COORDINATOR)
class SessionAttendance(APIView):
    """Coordinators of the scheme: record (or correct) who came, once the session has started
    (POST: 200 with the counts; 409 when refused, e.g. someone without a place). Everyone who
    came is asked once for anonymous feedback by email, as on the page; send an Idempotency-Key
    to retry safely."""

    @extend_schema(
        request=AttendanceSerializer,
        responses={200: AttendanceResultSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        shape = AttendanceSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        session = access.get_session_for_coordinator(request.staff.scheme, pk)
        try:
            done = services.record_attendance(
                session, set(shape.validated_data["attended"]), actor=request.user
            )
        except services.TrainingError as exc:
            raise Refused(str(exc)) from exc
        return Response(AttendanceResultSerializer(done).data)


@scheme_staff(Role.COORDINATOR)
class SchemeSessions(generics.ListAPIView):
    """Coordinators of the scheme: its sessions, soonest first, with places taken and waiting
    lists (GET); schedule a session or a series of them (POST: 201 with the sessions made; 400
    with a message per field, or the reason the plan cannot be scheduled, making nothing)."""

    serializer_class = SessionSerializer

    def get_queryset(self):
        return access.with_counts(
            Session.objects.filter(scheme=self.request.staff.scheme)
        ).order_by("starts_at", "id")

    @extend_schema(request=NewSessionSerializer, responses={201: ScheduledSerializer})
    def post(self, request, slug: str):
        scheme = request.staff.scheme
        shape = NewSessionSerializer(data=request.data)  # types first: the form takes text
        shape.is_valid(raise_exception=True)
        form = forms.NewSessionForm(
            scheme, _as_text(shape.validated_data), likely=[request.user.time_zone]
        )
        if not form.is_valid():
            raise _form_errors(form)
        try:
            made = services.schedule(scheme, form.plan(), actor=request.user, **form.repetition())
        except services.TrainingError as exc:
            raise serializers.ValidationError({"non_field_errors": [str(exc)]}) from exc
        rows = access.with_counts(Session.objects.filter(pk__in=[s.pk for s in made])).order_by(
            "starts_at", "id"
        )
        return Response(
            {"sessions": SessionSerializer(rows, many=True).data}, status=status.HTTP_201_CREATED
        )


class MyRegistrationSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="confirmed, waitlisted or cancelled")
    waiting_list_position = serializers.IntegerField(allow_null=True)


class MySessionSerializer(SessionSerializer):
    online_link = serializers.SerializerMethodField(
        help_text="Only for someone with a place (as on the session page)."
    )
    my_registration = serializers.SerializerMethodField()

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "my_registration"]
        read_only_fields = fields

    def _reg(self, s):
        mine = getattr(s, "mine", None)
        return mine[0] if mine else None

    def get_online_link(self, s) -> str | None:
        reg = self._reg(s)
        return s.online_link if reg is not None and reg.status == CONFIRMED else None

    @extend_schema_field(MyRegistrationSerializer(allow_null=True))
    def get_my_registration(self, s):
        reg = self._reg(s)
        if reg is None:
            return None
        return {
            "status": reg.status,
            "waiting_list_position": services.waitlist_position(reg)
            if reg.status == WAITLISTED
            else None,
        }


def _mine(participant, session_ids=None):
    mine = Registration.objects.filter(participant=participant)
    qs = access.sessions_for_participant(participant)
    if session_ids is not None:
        qs = qs.filter(pk__in=session_ids)
    return access.with_counts(qs).prefetch_related(
        Prefetch("registrations", queryset=mine, to_attr="mine")
    )


class MySessions(generics.ListAPIView):
    """Signed in, a participant of the scheme: the upcoming sessions open to them, with their
    own place in each (as the sessions page)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MySessionSerializer

    def get_queryset(self):
        participant = get_own_participation(self.request.user, self.kwargs["slug"])
        return (
            _mine(participant)
            .filter(ends_at__gt=timezone.now(), status=Session.Status.SCHEDULED)
            .order_by("starts_at", "id")
        )


class MySessionRegistration(APIView):
    """Signed in, a participant the session is open to: take a place, or a place on the waiting
    list if it is full (POST: 201); cancel the place or leave the waiting list (DELETE: 200).
    Either answers with the session as the caller now sees it; 409 with the reason when the
    service refuses (closed, not open to you, already registered, not registered)."""

    permission_classes = [IsAuthenticated]

    def _answer(self, session, participant, code):
        [row] = _mine(participant, [session.pk])
        return Response(MySessionSerializer(row).data, status=code)

    @extend_schema(request=None, responses={201: MySessionSerializer, 409: ProblemSerializer})
    @idempotent
    def post(self, request, slug: str, pk: int):
        session, participant, _ = access.get_session_for_participant(request.user, slug, pk)
        try:
            services.register(session, participant, actor=request.user)
        except services.TrainingError as exc:
            raise Refused(str(exc)) from exc
        return self._answer(session, participant, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MySessionSerializer, 409: ProblemSerializer})
    def delete(self, request, slug: str, pk: int):
        session, participant, reg = access.get_session_for_participant(request.user, slug, pk)
        if reg is None:
            raise Refused("You are not registered for this session.")
        try:
            services.cancel_registration(reg, actor=request.user)
        except services.TrainingError as exc:
            raise Refused(str(exc)) from exc
        return self._answer(session, participant, status.HTTP_200_OK)
