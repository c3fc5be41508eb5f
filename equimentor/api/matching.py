"""Matching through the API: a participant's proposals and replies; a coordinator's rounds.

Access reuses the pages' helpers (``enrolment.access``, ``matching.access``) and decorator
(``staff.access.scheme_staff``). Every change calls the service function the round page calls
(``matching.services``); closing choices, a dry run and publishing are long, so they answer 202
with a task to poll (``api.tasks``), which runs the same service in a worker.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api import services as api_services
from equimentor.api.access import get_task_for_staff
from equimentor.api.idempotency import idempotent
from equimentor.api.models import APITask
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.enrolment.models import Participant
from equimentor.matching import services
from equimentor.matching.access import get_own_proposal, get_round_for_coordinator
from equimentor.matching.forms import PairForm
from equimentor.matching.models import MatchingRound, Proposal, ProposedPair
from equimentor.matching.reasons import reasons_for
from equimentor.staff.access import scheme_staff


class MyProposalSerializer(serializers.ModelSerializer):
    side = serializers.SerializerMethodField()
    other = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    my_reply = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "side",
            "other",
            "via",
            "choice_rank",
            "reasons",
            "status",
            "my_reply",
            "proposed_at",
            "decided_at",
        ]

    def _side(self, p) -> str:
        return services.side_of(p, self.context["participant"])

    def get_side(self, p) -> str:
        return self._side(p)

    def get_other(self, p) -> dict:
        other = p.mentor if self._side(p) == "mentee" else p.mentee
        return {
            "name": other.user.full_name,
            "job_title": other.job_title,
            "institution": str(other.institution),
        }

    def get_reasons(self, p) -> list[str]:
        return reasons_for(p.reasons, self._side(p))

    def get_my_reply(self, p) -> str:
        return getattr(p, f"{self._side(p)}_reply")


class MyProposals(generics.ListAPIView):
    """Signed in: the caller's proposals in one scheme, as mentee and as mentor."""

    permission_classes = [IsAuthenticated]
    serializer_class = MyProposalSerializer

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "participant": get_own_participation(self.request.user, self.kwargs["slug"]),
        }

    def get_queryset(self):
        participant = get_own_participation(self.request.user, self.kwargs["slug"])
        return (
            Proposal.objects.filter(Q(mentee=participant) | Q(mentor=participant))
            .select_related(
                "mentee__user", "mentee__institution", "mentor__user", "mentor__institution"
            )
            .order_by("-proposed_at", "-id")
        )


class ReplySerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=["accept", "decline"])
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Private to the coordinator."
    )


class ReplyToProposal(APIView):
    """Signed in, the proposal's mentee or mentor: accept or decline (no reason needed).
    Answers with the proposal as the caller now sees it."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReplySerializer

    @extend_schema(
        request=ReplySerializer,
        responses={200: MyProposalSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str, pk: int):
        proposal, participant = get_own_proposal(request.user, slug, pk)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            proposal = services.reply(
                proposal,
                participant,
                accept=data.validated_data["answer"] == "accept",
                note=data.validated_data.get("note", ""),
                actor=request.user,
            )
        except services.MatchingError as exc:
            raise Refused(str(exc)) from exc
        proposal = Proposal.objects.select_related(
            "mentee__user", "mentee__institution", "mentor__user", "mentor__institution"
        ).get(pk=proposal.pk)
        return Response(MyProposalSerializer(proposal, context={"participant": participant}).data)


class RoundSerializer(serializers.ModelSerializer):
    latest_run = serializers.SerializerMethodField()

    class Meta:
        model = MatchingRound
        fields = ["id", "name", "status", "opened_at", "closed_at", "published_at", "latest_run"]

    def get_latest_run(self, r) -> dict | None:
        run = r.latest_run
        if run is None:
            return None
        keys = (
            "mentees",
            "matched",
            "first_choice",
            "top_choices",
            "fallback",
            "unmatched",
            "blocking_pairs",
        )
        return {
            "id": run.pk,
            "created_at": run.created_at,
            **{k: run.metrics.get(k) for k in keys},
            # changed by the coordinator since it ran (then blocking_pairs is not known: None)
            "adjusted": bool(run.metrics.get("adjusted")),
        }


class OpenRoundSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MatchingRound._meta.get_field("name").max_length,
        help_text="Blank: 'Round N'.",
    )


@scheme_staff(Role.COORDINATOR)
class SchemeRounds(generics.ListAPIView):
    """Coordinators of the scheme: its matching rounds with the latest dry run's numbers (GET);
    open a round, in which mentees make and change their choices (POST; refused with 409 while
    another round is in progress)."""

    serializer_class = RoundSerializer

    def get_queryset(self):
        return self.request.staff.scheme.matching_rounds.all()

    @extend_schema(
        request=OpenRoundSerializer, responses={201: RoundSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str):
        data = OpenRoundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            matching_round = services.open_round(
                request.staff.scheme, actor=request.user, name=data.validated_data.get("name", "")
            )
        except services.MatchingError as exc:
            raise Refused(str(exc)) from exc
        return Response(RoundSerializer(matching_round).data, status=status.HTTP_201_CREATED)


@scheme_staff(Role.COORDINATOR)
class RoundDetail(generics.RetrieveAPIView):
    """Coordinators of the scheme: one matching round with its latest dry run's numbers (where
    a finished task's ``result`` link leads)."""

    serializer_class = RoundSerializer

    def get_object(self):
        return get_round_for_coordinator(self.request.staff.scheme, self.kwargs["pk"])


class TaskSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    result_url = serializers.SerializerMethodField(
        help_text="When the task succeeded: where its outcome is read (the round)."
    )

    class Meta:
        model = APITask
        fields = [
            "id",
            "kind",
            "status",
            "url",
            "result_url",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _absolute(self, name: str, *args) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(reverse(name, args=args))

    def get_url(self, t) -> str:
        return self._absolute("api:task", self.context["slug"], t.pk)

    def get_result_url(self, t) -> str | None:
        if t.status != APITask.Status.SUCCEEDED or "round" not in t.result:
            return None
        return self._absolute("api:matching_round", self.context["slug"], t.result["round"])


def _accepted(request, slug: str, t: APITask) -> Response:
    """202 with the task (as it stands: a backend that runs tasks at once has finished it)."""
    t.refresh_from_db()
    body = TaskSerializer(t, context={"request": request, "slug": slug}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class _RoundTask(APIView):
    """POST: start ``kind`` on one round of the scheme; 202 with the task to poll."""

    kind = ""

    def params(self, request) -> dict:
        return {}

    def post(self, request, slug: str, pk: int):
        matching_round = get_round_for_coordinator(request.staff.scheme, pk)
        params = self.params(request)
        t = api_services.start_task(
            self.kind,
            request.staff.scheme,
            actor=request.user,
            round=matching_round.pk,
            **params,
        )
        return _accepted(request, slug, t)


@scheme_staff(Role.COORDINATOR)
class CloseChoices(_RoundTask):
    """Coordinators of the scheme: stop a round's choices changing and make its first dry run,
    in the background. 202 with the task; the task fails with the reason if the round's choices
    are closed already."""

    kind = "matching.close_choices"

    @extend_schema(request=None, responses={202: TaskSerializer})
    def post(self, request, slug: str, pk: int):
        return super().post(request, slug, pk)


class DryRunSerializer(serializers.Serializer):
    stable_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Honour choices only as far as stability allows, with no fallback proposals.",
    )


@scheme_staff(Role.COORDINATOR)
class DryRun(_RoundTask):
    """Coordinators of the scheme: run matching again around the round's pinned and removed
    pairs, in the background (nobody is told anything). 202 with the task; it fails with the
    reason unless the round's choices are closed and it is not yet published."""

    kind = "matching.dry_run"

    def params(self, request) -> dict:
        data = DryRunSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return {"stable_only": data.validated_data["stable_only"]}

    @extend_schema(request=DryRunSerializer, responses={202: TaskSerializer})
    def post(self, request, slug: str, pk: int):
        return super().post(request, slug, pk)


@scheme_staff(Role.COORDINATOR)
class Publish(_RoundTask):
    """Coordinators of the scheme: turn the round's latest dry run into proposals, each side
    emailed its proposal, in the background. 202 with the task; it fails with the reason if the
    round has no dry run, is published already, or a mentor's capacity changed since the run."""

    kind = "matching.publish"

    @extend_schema(request=None, responses={202: TaskSerializer})
    @idempotent
    def post(self, request, slug: str, pk: int):
        return super().post(request, slug, pk)


@scheme_staff(Role.COORDINATOR)
class SchemeTask(generics.RetrieveAPIView):
    """Coordinators of the scheme: a task started through the API, its status and, once it
    succeeded, a link to its outcome (``result_url``), or, once it failed, why (``error``)."""

    serializer_class = TaskSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "slug": self.kwargs["slug"]}

    def get_object(self):
        return get_task_for_staff(self.request.staff.scheme, self.kwargs["pk"])


class AdjustmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["pin", "add", "remove"],
        help_text="pin: keep this pair in every later dry run; add: the same for a pair the run "
        "did not make (checked against the hard rules and the mentor's free places); remove: "
        "keep the pair apart and drop it from the current run.",
    )
    mentee = serializers.PrimaryKeyRelatedField(
        queryset=Participant.objects.none(), help_text="An approved mentee of the scheme (id)."
    )
    mentor = serializers.PrimaryKeyRelatedField(
        queryset=Participant.objects.none(), help_text="An approved mentor of the scheme (id)."
    )

    def __init__(self, *args, scheme=None, **kwargs):
        super().__init__(*args, **kwargs)
        if scheme is not None:  # whom the round page's pair form offers
            form = PairForm(scheme)
            for side in ("mentee", "mentor"):
                self.fields[side].queryset = form.fields[side].queryset


class AdjustmentDoneSerializer(serializers.Serializer):
    kind = serializers.CharField()
    mentee = serializers.IntegerField()
    mentor = serializers.IntegerField()
    round = serializers.IntegerField()


@scheme_staff(Role.COORDINATOR)
class RoundAdjustments(APIView):
    """Coordinators of the scheme: pin, add or remove a pair of a round between closing its
    choices and publishing it (the round page's adjustments); 409 with the reason if the round is
    not in that state or the pair breaks a hard rule. The round's figures are recounted."""

    @extend_schema(
        request=AdjustmentSerializer,
        responses={201: AdjustmentDoneSerializer, 409: ProblemSerializer},
    )
    def post(self, request, slug: str, pk: int):
        matching_round = get_round_for_coordinator(request.staff.scheme, pk)
        data = AdjustmentSerializer(data=request.data, scheme=matching_round.scheme)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        mentee, mentor = data.validated_data["mentee"], data.validated_data["mentor"]
        change = services.remove_pair if kind == "remove" else services.pin_pair
        try:
            change(matching_round, mentee, mentor, actor=request.user)
        except services.MatchingError as exc:
            raise Refused(str(exc)) from exc
        return Response(
            {"kind": kind, "mentee": mentee.pk, "mentor": mentor.pk, "round": matching_round.pk},
            status=status.HTTP_201_CREATED,
        )


class RoundPairsSerializer(serializers.Serializer):
    mentee = serializers.IntegerField(source="mentee_id")
    mentor = serializers.IntegerField(source="mentor_id")
    via = serializers.CharField()
    choice_rank = serializers.IntegerField(allow_null=True)
    score = serializers.FloatField(allow_null=True)
    reasons = serializers.SerializerMethodField()

    def get_reasons(self, p) -> list[str]:
        """As the coordinator's round page words them (about the mentee, in the third person)."""
        return reasons_for(p.reasons, "coordinator")


@scheme_staff(Role.COORDINATOR)
class RoundPairs(generics.ListAPIView):
    """Coordinators of the scheme: the pairs of a round's latest dry run (participant ids)."""

    serializer_class = RoundPairsSerializer

    def get_queryset(self):
        matching_round = get_round_for_coordinator(self.request.staff.scheme, self.kwargs["pk"])
        run = matching_round.latest_run
        return run.pairs.order_by("id") if run else ProposedPair.objects.none().order_by("id")
