"""Mentoring relationships through the API: a member's relationships, meetings, goals and
check-ins; a coordinator's list of the scheme's relationships.

Same rules as the pages: ``relationships.access`` decides who sees what (and is the only way to
private notes, which the API never reaches), ``relationships.services`` makes every change. Bad
input is a 400 with a message per field; a change the services refuse is a 409 with its message.
"""

from __future__ import annotations

import zoneinfo

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
)
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
from equimentor.api.serializers import IdField, RequiredBooleanField
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.relationships import access, services
from equimentor.relationships.models import CheckIn, Flag, Goal, Meeting, Membership, Relationship
from equimentor.relationships.queries import check_ins_due, coordinator_rows, relationships_of
from equimentor.staff.access import scheme_staff


def _refused(exc: services.RelationshipError) -> Refused:
    return Refused(str(exc))


# -- a member's relationships ---------------------------------------------------------------------


class NextMeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "starts_at", "time_zone", "duration_minutes", "mode"]
        read_only_fields = fields


class OtherMemberSerializer(serializers.Serializer):
    name = serializers.CharField(source="participant.user.full_name")
    side = serializers.CharField()
    role = serializers.CharField(source="label")


class MyRelationshipSerializer(serializers.ModelSerializer):
    """One of the caller's relationships. The others are named; nothing private is shown."""

    kind_label = serializers.CharField(source="get_kind_display")
    state_label = serializers.CharField(source="get_state_display")
    title = serializers.CharField()
    my_side = serializers.SerializerMethodField()
    my_role = serializers.SerializerMethodField()
    still_member = serializers.SerializerMethodField()
    others = serializers.SerializerMethodField()
    next_meeting = serializers.SerializerMethodField()

    class Meta:
        model = Relationship
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "state",
            "state_label",
            "my_side",
            "my_role",
            "still_member",
            "start_date",
            "end_date",
            "others",
            "next_meeting",
        ]

    def _me(self, rel) -> Membership:
        pid = self.context["participant"].pk
        return next(m for m in rel.memberships.all() if m.participant_id == pid)

    def get_my_side(self, rel) -> str:
        return self._me(rel).side

    def get_my_role(self, rel) -> str:
        return self._me(rel).label

    def get_still_member(self, rel) -> bool:
        return self._me(rel).left_at is None

    @extend_schema_field(OtherMemberSerializer(many=True))
    def get_others(self, rel):
        me = self._me(rel)
        return OtherMemberSerializer(
            [m for m in rel.active_members() if m.pk != me.pk], many=True
        ).data

    @extend_schema_field(NextMeetingSerializer(allow_null=True))
    def get_next_meeting(self, rel):
        now = timezone.now()
        upcoming = [m for m in rel.scheduled_meetings if m.starts_at >= now]
        return NextMeetingSerializer(upcoming[0]).data if upcoming else None


class MyRelationships(generics.ListAPIView):
    """Signed in: the caller's relationships in one scheme (current and past), newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = MyRelationshipSerializer

    def _participant(self):
        if not hasattr(self, "_me"):
            self._me = get_own_participation(self.request.user, self.kwargs["slug"])
        return self._me

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "participant": self._participant()}

    def get_queryset(self):
        return relationships_of(self._participant())


# -- meetings -------------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting as its members see it: the plan and the shared log. Private notes never."""

    arranged_by = serializers.CharField(
        source="arranged_by.user.full_name", default=None, allow_null=True, read_only=True
    )
    # null when not given (stored as ""): a URI and an enum as the schema says, or null (#23)
    video_link = serializers.URLField(read_only=True, allow_null=True)
    agenda_by = serializers.ChoiceField(
        choices=Meeting.AgendaBy.choices, read_only=True, allow_null=True
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "status",
            "starts_at",
            "time_zone",
            "duration_minutes",
            "mode",
            "video_link",
            "location",
            "arranged_by",
            "actual_minutes",
            "agenda",
            "agenda_by",
            "shared_notes",
            "actions",
            "logged_at",
        ]
        read_only_fields = fields

    def to_representation(self, meeting):
        data = super().to_representation(meeting)
        for name in ("video_link", "agenda_by"):
            data[name] = data[name] or None
        return data


class MeetingPlanSerializer(serializers.Serializer):
    date = serializers.DateField()
    time = serializers.TimeField(help_text="Local time in ``time_zone``.")
    time_zone = serializers.CharField(max_length=64, help_text="An IANA zone, e.g. Europe/London.")
    duration_minutes = serializers.IntegerField(min_value=10, max_value=480, default=60)
    mode = serializers.ChoiceField(choices=Meeting.Mode.choices, default=Meeting.Mode.VIRTUAL)
    video_link = serializers.URLField(max_length=500, required=False, allow_blank=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate_time_zone(self, value: str) -> str:
        if value != "UTC" and value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Choose a time zone such as Europe/London.")
        return value

    def validate(self, data):
        if data.get("mode") == Meeting.Mode.IN_PERSON and not data.get("location"):
            raise serializers.ValidationError({"location": "Say where you will meet."})
        return data

    def plan(self) -> services.MeetingPlan:
        return services.MeetingPlan.from_fields(self.validated_data)


class RelationshipMeetings(generics.ListAPIView):
    """Members of the relationship: its meetings (newest first); POST arranges one (a future
    meeting sends everyone a calendar invitation)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeetingSerializer

    def get_queryset(self):
        rel, _ = access.get_relationship_for_member(
            self.request.user, self.kwargs["slug"], self.kwargs["pk"]
        )
        return rel.meetings.select_related("arranged_by__user").order_by("-starts_at", "-id")

    @extend_schema(
        request=MeetingPlanSerializer,
        responses={201: MeetingSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = MeetingPlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            meeting = services.schedule_meeting(rel, member, data.plan(), actor=request.user)
        except services.RelationshipError as exc:
            raise _refused(exc) from exc
        meeting.arranged_by = member.participant
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)


class GoalReviewInSerializer(serializers.Serializer):
    goal = IdField(help_text="A goal of this relationship.")
    status = serializers.ChoiceField(choices=Goal.Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class MeetingLogSerializer(serializers.Serializer):
    happened = RequiredBooleanField()
    actual_minutes = serializers.IntegerField(
        min_value=1, max_value=600, required=False, allow_null=True
    )
    agenda = serializers.CharField(required=False, allow_blank=True)
    agenda_by = serializers.ChoiceField(
        choices=Meeting.AgendaBy.choices, required=False, allow_blank=True
    )
    shared_notes = serializers.CharField(
        required=False, allow_blank=True, help_text="Seen by everyone in the relationship."
    )
    actions = serializers.CharField(required=False, allow_blank=True)
    goals = GoalReviewInSerializer(many=True, required=False)

    def validate(self, data):
        if data["happened"] and not data.get("actual_minutes"):
            raise serializers.ValidationError(
                {"actual_minutes": "Say how long the meeting lasted."}
            )
        return data


class LogMeeting(APIView):
    """Members of the relationship: record whether a meeting that has started took place, with
    its length, agenda, shared notes, actions and goals reviewed."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeetingLogSerializer

    @extend_schema(
        request=MeetingLogSerializer, responses={200: MeetingSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str, pk: int, mid: int):
        meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
        data = MeetingLogSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        goals = {g.pk: g for g in rel.goals.all()}
        reviews = []
        for item in d.get("goals", []):
            if item["goal"] not in goals:
                raise serializers.ValidationError({"goals": ["No such goal in this relationship."]})
            reviews.append(
                services.GoalCheck(
                    goal=goals[item["goal"]],
                    status=item["status"],
                    progress=item["progress"],
                    note=item.get("note", ""),
                )
            )
        try:
            meeting = services.log_meeting(
                meeting,
                member,
                happened=d["happened"],
                actual_minutes=d.get("actual_minutes"),
                agenda=d.get("agenda", ""),
                agenda_by=d.get("agenda_by", ""),
                shared_notes=d.get("shared_notes", ""),
                actions=d.get("actions", ""),
                reviews=reviews,
                actor=request.user,
            )
        except services.RelationshipError as exc:
            raise _refused(exc) from exc
        meeting = Meeting.objects.select_related("arranged_by__user").get(pk=meeting.pk)
        return Response(MeetingSerializer(meeting).data)


# -- goals ----------------------------------------------------------------------------------------


class GoalSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.user.full_name")
    mine = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "owner",
            "mine",
            "title",
            "detail",
            "target_date",
            "status",
            "progress",
            "last_reviewed_at",
        ]
        read_only_fields = fields

    def get_mine(self, goal) -> bool:
        return goal.owner_id == self.context["participant_id"]


class NewGoalSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    detail = serializers.CharField(required=False, allow_blank=True)
    target_date = serializers.DateField()


class GoalUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Goal.Status.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RelationshipGoals(generics.ListAPIView):
    """Members of the relationship: its goals; POST adds one (mentees set their own goals)."""

    permission_classes = [IsAuthenticated]
    serializer_class = GoalSerializer
    pagination_class = None

    def _rel(self):
        if not hasattr(self, "_found"):
            self._found = access.get_relationship_for_member(
                self.request.user, self.kwargs["slug"], self.kwargs["pk"]
            )
        return self._found

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "participant_id": self._rel()[1].participant_id}

    def get_queryset(self):
        rel, _ = self._rel()
        return rel.goals.select_related("owner__user").order_by("target_date", "id")

    @extend_schema(
        request=NewGoalSerializer, responses={201: GoalSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str, pk: int):
        rel, member = self._rel()
        data = NewGoalSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            goal = services.add_goal(
                rel,
                member,
                title=d["title"],
                detail=d.get("detail", ""),
                target_date=d["target_date"],
                actor=request.user,
            )
        except services.RelationshipError as exc:
            raise _refused(exc) from exc
        goal.owner = member.participant
        context = {"participant_id": member.participant_id}
        return Response(GoalSerializer(goal, context=context).data, status=status.HTTP_201_CREATED)


def _goal_data(goal_pk: int, participant_id: int, *, lock: bool = False) -> tuple[Goal, dict]:
    rows = Goal.objects.select_related("owner__user")
    goal = (rows.select_for_update(of=("self",)) if lock else rows).get(pk=goal_pk)
    return goal, GoalSerializer(goal, context={"participant_id": participant_id}).data


class UpdateGoal(APIView):
    """Members of the relationship: one goal, with its ETag. ``PATCH`` (the mentee who owns it,
    with ``If-Match``): record its status and/or progress (kept as a review; what is left out
    stays as it was)."""

    permission_classes = [IsAuthenticated]
    serializer_class = GoalUpdateSerializer

    @extend_schema(responses=GoalSerializer, parameters=[IF_NONE_MATCH])
    def get(self, request, slug: str, pk: int, gid: int):
        goal, _rel, member = access.get_goal_for_member(request.user, slug, pk, gid)
        return tagged(request, _goal_data(goal.pk, member.participant_id)[1])

    @extend_schema(
        request=GoalUpdateSerializer,
        responses={200: GoalSerializer, 409: ProblemSerializer},
        parameters=[IF_MATCH],
    )
    def patch(self, request, slug: str, pk: int, gid: int):
        goal, rel, member = access.get_goal_for_member(request.user, slug, pk, gid)
        expect_match(request)
        data = GoalUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with transaction.atomic():
            goal, current = _goal_data(goal.pk, member.participant_id, lock=True)
            require_match(request, current)  # ETag of GET: a change made meanwhile is not lost
            goal.relationship = rel
            return self._update(request, goal, member, data.validated_data)

    def _update(self, request, goal, member, d):
        try:
            goal = services.update_goal(
                goal,
                member,
                services.GoalCheck(
                    goal=goal,
                    status=d.get("status", goal.status),
                    progress=d.get("progress", goal.progress),
                    note=d.get("note", ""),
                ),
                actor=request.user,
            )
        except services.RelationshipError as exc:
            raise _refused(exc) from exc
        return tagged(request, _goal_data(goal.pk, member.participant_id)[1])


# -- check-ins ------------------------------------------------------------------------------------


class CheckInSerializer(serializers.ModelSerializer):
    relationship = serializers.IntegerField(source="relationship_id")

    class Meta:
        model = CheckIn
        fields = ["id", "relationship", "number", "due_on"]
        read_only_fields = fields


class CheckInAnswerSerializer(serializers.Serializer):
    rating = serializers.IntegerField(
        min_value=1, max_value=5, help_text="How it is going, from 1 (badly) to 5 (very well)."
    )
    wants_contact = serializers.BooleanField(
        default=False, help_text="Ask the coordinator to get in touch."
    )


class MyCheckIns(generics.ListAPIView):
    """Signed in: the caller's private check-ins still to answer in one scheme."""

    permission_classes = [IsAuthenticated]
    serializer_class = CheckInSerializer
    pagination_class = None

    def get_queryset(self):
        participant = get_own_participation(self.request.user, self.kwargs["slug"])
        return check_ins_due(participant).order_by("due_on", "id")


class AnswerCheckIn(APIView):
    """The check-in's owner: answer it privately. Only the coordinator learns of a low rating or
    a request for contact, as a flag; nobody in the relationship learns anything."""

    permission_classes = [IsAuthenticated]
    serializer_class = CheckInAnswerSerializer

    @extend_schema(
        request=CheckInAnswerSerializer,
        responses={200: CheckInSerializer, 409: ProblemSerializer},
    )
    def post(self, request, slug: str, pk: int):
        item = access.get_check_in_for_owner(request.user, slug, pk)
        data = CheckInAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            item = services.answer_check_in(
                item,
                request.user,
                rating=data.validated_data["rating"],
                wants_contact=data.validated_data["wants_contact"],
                actor=request.user,
            )
        except services.RelationshipError as exc:
            raise _refused(exc) from exc
        return Response(CheckInSerializer(item).data)


# -- the coordinator's list -----------------------------------------------------------------------


class OpenFlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = ["id", "kind", "created_at"]
        read_only_fields = fields


class CoordinatorMemberSerializer(serializers.Serializer):
    participant = serializers.IntegerField(source="participant_id")
    name = serializers.CharField(source="participant.user.full_name")
    side = serializers.CharField()
    role = serializers.CharField(source="label")
    left = serializers.SerializerMethodField()
    removable = serializers.SerializerMethodField(
        help_text="Whether remove-member would accept removing them (the service's own rule)."
    )

    def get_left(self, m) -> bool:
        return m.left_at is not None

    def get_removable(self, m) -> bool:
        rel = m.relationship  # the relationship whose prefetched memberships these are
        return m.participant_id in services.removable_members(rel, rel.memberships.all())


class SchemeRelationshipSerializer(serializers.ModelSerializer):
    """A relationship as the coordinator sees it: states, dates, counts and open flags. Never
    private notes, meeting notes, check-in answers or identity data."""

    members = CoordinatorMemberSerializer(source="memberships", many=True)
    open_flags = serializers.SerializerMethodField()
    meetings_held = serializers.IntegerField()
    days_since_last_meeting = serializers.SerializerMethodField()

    class Meta:
        model = Relationship
        fields = [
            "id",
            "kind",
            "name",
            "state",
            "start_date",
            "end_date",
            "closed_at",
            "close_reason",
            "members",
            "meetings_held",
            "last_met_at",
            "days_since_last_meeting",
            "open_flags",
        ]

    @extend_schema_field(OpenFlagSerializer(many=True))
    def get_open_flags(self, rel):
        return OpenFlagSerializer(
            [f for f in rel.flags.all() if f.resolved_at is None], many=True
        ).data

    def get_days_since_last_meeting(self, rel) -> int | None:
        if rel.last_met_at is None:
            return None
        return (timezone.now() - rel.last_met_at).days


class RelationshipFilters(serializers.Serializer):
    """The coordinator's list's filters: a value the filter does not take is refused (400), never
    ignored (``?kind=one-to-one`` listed every relationship, ``?flagged=false`` the flagged ones)."""

    state = serializers.ChoiceField(
        choices=[*Relationship.State.values, "open"], required=False, help_text="A state, or open."
    )
    kind = serializers.ChoiceField(choices=Relationship.Kind.values, required=False)
    flagged = serializers.BooleanField(required=False, help_text="Only those with open flags.")
    weeks = serializers.IntegerField(
        min_value=1,
        max_value=520,
        required=False,
        help_text="Open, and no meeting for N weeks (1 to 520).",
        # the pages' words for the same value (core.params.query_int)
        error_messages={
            key: "Weeks without a meeting must be a whole number from 1 to 520."
            for key in ("invalid", "min_value", "max_value", "max_string_length")
        },
    )


@scheme_staff(Role.COORDINATOR)
class SchemeRelationships(generics.ListAPIView):
    """Coordinators of the scheme: every relationship with its state, open flags and time since
    the last meeting held; filter with ``?state=`` (or ``open``), ``?kind=``, ``?flagged=1`` and
    ``?weeks=N`` (open relationships without a meeting for N weeks)."""

    serializer_class = SchemeRelationshipSerializer

    @extend_schema(parameters=[RelationshipFilters])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # a plain dict, not the QueryDict: DRF reads an empty form value as "not given"
        filters = RelationshipFilters(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        # as the page's query string: the list is the page's (relationships.queries)
        given = {k: str(v) for k, v in filters.validated_data.items() if v not in (None, False)}
        rows = coordinator_rows(self.request.staff.scheme, given)
        return rows.prefetch_related("flags")
