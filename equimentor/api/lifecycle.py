"""A relationship's lifecycle through the API: its members decide after the trial meeting, save
and confirm the agreement, pause, resume, extend or close it; the scheme's coordinators pause,
resume or close any of the scheme's relationships.

Every change is the page's service (``relationships.services``), which checks the rules and
audits it (with the token's id when a token is used); ``relationships.access`` decides who reaches
which relationship (a member their own, 404 otherwise; a coordinator their scheme's, 404 for
another's). Scope ``relationships:write``. Bad input is a 400 naming the field and changes
nothing; a change the service refuses is a 409 with its message.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.api.relationships import MyRelationshipSerializer, SchemeRelationshipSerializer
from equimentor.core.roles import Role
from equimentor.relationships import access, services
from equimentor.relationships.models import AgreementVersion, Relationship
from equimentor.relationships.queries import coordinator_rows, relationships_of
from equimentor.staff.access import scheme_staff


def _refusing(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except services.RelationshipError as exc:
        raise Refused(str(exc)) from exc


def _valid(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class _MemberAction(APIView):
    """A member's change to one of their relationships; answers with it as they now see it."""

    permission_classes = [IsAuthenticated]

    def _answer(self, member, code=status.HTTP_200_OK) -> Response:
        participant = member.participant
        rel = relationships_of(participant).get(pk=member.relationship_id)
        return Response(
            MyRelationshipSerializer(rel, context={"participant": participant}).data, status=code
        )


_MEMBER_ANSWERS = {200: MyRelationshipSerializer, 409: ProblemSerializer}


# -- the trial ----------------------------------------------------------------------------------


class TrialSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["continue", "step_away"])
    never_again = serializers.BooleanField(
        default=False, help_text="Stepping away: never propose this pair again."
    )


class TrialDecision(_MemberAction):
    """Members of the relationship, after the first meeting is logged: continue, or step away
    without fault (private: the others are told only that the match will not continue)."""

    serializer_class = TrialSerializer

    @extend_schema(request=TrialSerializer, responses=_MEMBER_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(TrialSerializer, request)
        _refusing(
            services.trial_decision,
            rel,
            member,
            go_on=data["decision"] == "continue",
            never_again=data["never_again"],
            actor=request.user,
        )
        return self._answer(member)


# -- the agreement ------------------------------------------------------------------------------


class AgreementSerializer(serializers.ModelSerializer):
    saved_by = serializers.CharField(source="saved_by.user.full_name", read_only=True)
    confirmed_by = serializers.SerializerMethodField()

    class Meta:
        model = AgreementVersion
        fields = [
            "id",
            "number",
            *services.AGREEMENT_FIELDS,
            "saved_by",
            "saved_at",
            "confirmed_by",
        ]
        read_only_fields = ["id", "number", "saved_by", "saved_at", "confirmed_by"]
        extra_kwargs = {f: {"max_length": 5000} for f in services.AGREEMENT_FIELDS[2:]}

    def get_confirmed_by(self, version) -> list[str]:
        return sorted(c.participant.user.full_name for c in version.confirmations.all())


class RelationshipAgreement(generics.ListAPIView):
    """Members of the relationship: the agreement's versions, newest first, with who confirmed
    each; POST saves an edit as a new version (everyone then confirms that one)."""

    permission_classes = [IsAuthenticated]
    serializer_class = AgreementSerializer

    def get_queryset(self):
        rel, _ = access.get_relationship_for_member(
            self.request.user, self.kwargs["slug"], self.kwargs["pk"]
        )
        return (
            rel.agreement_versions.select_related("saved_by__user")
            .prefetch_related("confirmations__participant__user")
            .order_by("-number")
        )

    @extend_schema(
        request=AgreementSerializer, responses={201: AgreementSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(AgreementSerializer, request)
        version = _refusing(services.save_agreement, rel, member, data, actor=request.user)
        version = self.get_queryset().get(pk=version.pk)
        return Response(AgreementSerializer(version).data, status=status.HTTP_201_CREATED)


class ConfirmSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The id of the latest version, as read.")


class ConfirmAgreement(APIView):
    """Members of the relationship: confirm the latest version of the agreement (by its id: a
    version saved since is refused with 409). Answers with the version."""

    permission_classes = [IsAuthenticated]
    serializer_class = ConfirmSerializer

    @extend_schema(
        request=ConfirmSerializer, responses={200: AgreementSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(ConfirmSerializer, request)
        version = rel.agreement_versions.filter(pk=data["version"]).first()
        if version is None:
            raise serializers.ValidationError(
                {"version": ["No such agreement version in this relationship."]}
            )
        _refusing(services.confirm_agreement, rel, member, version, actor=request.user)
        version = (
            AgreementVersion.objects.select_related("saved_by__user")
            .prefetch_related("confirmations__participant__user")
            .get(pk=version.pk)
        )
        return Response(AgreementSerializer(version).data)


# -- pausing, extending, closing (members) ------------------------------------------------------


class PauseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Relationship.PauseReason.choices)


class MemberPause(_MemberAction):
    """Members of the relationship: pause it (when resumed, the end date moves on by the
    pause). Everyone in it is told by email."""

    serializer_class = PauseSerializer

    @extend_schema(request=PauseSerializer, responses=_MEMBER_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(PauseSerializer, request)
        _refusing(services.pause, rel, reason=data["reason"], actor=request.user, member=member)
        return self._answer(member)


class MemberResume(_MemberAction):
    """Members of the relationship: resume it after a pause."""

    @extend_schema(request=None, responses=_MEMBER_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        _refusing(services.resume, rel, actor=request.user, member=member)
        return self._answer(member)


class ExtendSerializer(serializers.Serializer):
    new_end_date = serializers.DateField(help_text="After the current end date; a year at most.")


class MemberExtend(_MemberAction):
    """Members of a relationship due to end: agree to extend it to ``new_end_date``. It is
    extended once every member has agreed to the same date."""

    serializer_class = ExtendSerializer

    @extend_schema(request=ExtendSerializer, responses=_MEMBER_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(ExtendSerializer, request)
        _refusing(
            services.end_choice,
            rel,
            member,
            extend=True,
            new_end_date=data["new_end_date"],
            actor=request.user,
        )
        return self._answer(member)


# the reasons a member may give (the schema names this set MemberCloseReasonEnum)
MEMBER_CLOSE_REASONS = [(r.value, r.label) for r in Relationship.MEMBER_REASONS]


class MemberCloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=MEMBER_CLOSE_REASONS,
        help_text="Private: nobody else is told why.",
    )
    never_again = serializers.BooleanField(default=False)


class MemberClose(_MemberAction):
    """Members of the relationship: close it (goals met, circumstances changed or no fault).
    The others are told only that it has ended."""

    serializer_class = MemberCloseSerializer

    @extend_schema(request=MemberCloseSerializer, responses=_MEMBER_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel, member = access.get_relationship_for_member(request.user, slug, pk)
        data = _valid(MemberCloseSerializer, request)
        _refusing(
            services.close,
            rel,
            reason=data["reason"],
            member=member,
            never_again=data["never_again"],
            actor=request.user,
        )
        return self._answer(member)


# -- the coordinator's pause, resume and close --------------------------------------------------


_COORDINATOR_ANSWERS = {200: SchemeRelationshipSerializer, 409: ProblemSerializer}


class _CoordinatorAction(APIView):
    def _answer(self, rel) -> Response:
        row = (
            coordinator_rows(self.request.staff.scheme, {}).prefetch_related("flags").get(pk=rel.pk)
        )
        return Response(SchemeRelationshipSerializer(row).data)


@scheme_staff(Role.COORDINATOR)
class CoordinatorPause(_CoordinatorAction):
    """Coordinators of the scheme: pause one of its relationships, as its page does."""

    serializer_class = PauseSerializer

    @extend_schema(request=PauseSerializer, responses=_COORDINATOR_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
        data = _valid(PauseSerializer, request)
        _refusing(services.pause, rel, reason=data["reason"], actor=request.user)
        return self._answer(rel)


@scheme_staff(Role.COORDINATOR)
class CoordinatorResume(_CoordinatorAction):
    """Coordinators of the scheme: resume a paused relationship."""

    @extend_schema(request=None, responses=_COORDINATOR_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
        _refusing(services.resume, rel, actor=request.user)
        return self._answer(rel)


class CoordinatorCloseSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Relationship.CloseReason.choices)


@scheme_staff(Role.COORDINATOR)
class CoordinatorClose(_CoordinatorAction):
    """Coordinators of the scheme: close a relationship with the reason (the members are told
    only that it has ended)."""

    serializer_class = CoordinatorCloseSerializer

    @extend_schema(request=CoordinatorCloseSerializer, responses=_COORDINATOR_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
        data = _valid(CoordinatorCloseSerializer, request)
        _refusing(services.close, rel, reason=data["reason"], actor=request.user)
        return self._answer(rel)


class RemoveMemberSerializer(serializers.Serializer):
    participant = serializers.IntegerField(
        min_value=1, help_text="The participant id of a member, as the relationship lists them."
    )


@scheme_staff(Role.COORDINATOR)
class CoordinatorRemoveMember(_CoordinatorAction):
    """Coordinators of the scheme: take one member out of a group, peer circle or network, as
    its page does; the others carry on and are told only that one member is no longer part of
    it. 409 for a one-to-one, or when it could not go on without them (close it instead)."""

    serializer_class = RemoveMemberSerializer

    @extend_schema(request=RemoveMemberSerializer, responses=_COORDINATOR_ANSWERS)
    @idempotent
    def post(self, request, slug: str, pk: int):
        rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
        data = _valid(RemoveMemberSerializer, request)
        _refusing(services.remove_member, rel, data["participant"], actor=request.user)
        return self._answer(rel)
