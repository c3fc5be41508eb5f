"""Training sessions through the API: a coordinator lists and schedules the scheme's sessions; a
participant lists the sessions open to them, registers (or joins the waiting list) and cancels.

Access is the pages' (``staff.access.scheme_staff``, ``training.access``); a new session is
checked by the page's form (``training.forms.NewSessionForm``) and made by the page's service
(``training.services.schedule``), registrations by ``services.register`` and
``services.cancel_registration``, each audited there.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.staff.access import scheme_staff
from equimentor.training import access, forms, services
from equimentor.training.models import MAX_CAPACITY, Registration, Session

CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


def _with_counts(qs):
    return qs.annotate(
        n_confirmed=Count("registrations", filter=Q(registrations__status=CONFIRMED)),
        n_waiting=Count("registrations", filter=Q(registrations__status=WAITLISTED)),
    ).select_related("series")


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


@scheme_staff(Role.COORDINATOR)
class SchemeSessions(generics.ListAPIView):
    """Coordinators of the scheme: its sessions, soonest first, with places taken and waiting
    lists (GET); schedule a session or a series of them (POST: 201 with the sessions made; 400
    with a message per field, or the reason the plan cannot be scheduled, making nothing)."""

    serializer_class = SessionSerializer

    def get_queryset(self):
        return _with_counts(Session.objects.filter(scheme=self.request.staff.scheme)).order_by(
            "starts_at", "id"
        )

    @extend_schema(request=NewSessionSerializer, responses={201: ScheduledSerializer})
    def post(self, request, slug: str):
        scheme = request.staff.scheme
        shape = NewSessionSerializer(data=request.data)  # types first: the form takes text
        shape.is_valid(raise_exception=True)
        typed = {
            k: v if k == "relationships" else ("" if v is None else str(v))
            for k, v in shape.validated_data.items()
        }
        form = forms.NewSessionForm(scheme, typed, likely=[request.user.time_zone])
        if not form.is_valid():
            raise serializers.ValidationError(
                {
                    ("non_field_errors" if field == "__all__" else field): errors
                    for field, errors in form.errors.items()
                }
            )
        try:
            made = services.schedule(
                scheme,
                form.plan(),
                actor=request.user,
                repeat=form.cleaned_data.get("repeat") or "",
                occurrences=form.cleaned_data.get("occurrences") or 1,
            )
        except services.TrainingError as exc:
            raise serializers.ValidationError({"non_field_errors": [str(exc)]}) from exc
        rows = _with_counts(Session.objects.filter(pk__in=[s.pk for s in made])).order_by(
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
    return _with_counts(qs).prefetch_related(
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
