"""Matching through the API: a participant's proposals and replies; a coordinator's rounds.

Access reuses the pages' helpers (``enrolment.access``, ``matching.access``) and decorator
(``staff.access.scheme_staff``).
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.relationships import RefusedSerializer
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.matching import services
from equimentor.matching.access import get_own_proposal, get_round_for_coordinator
from equimentor.matching.models import MatchingRound, Proposal
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
        responses={200: MyProposalSerializer, 409: RefusedSerializer},
    )
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
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
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


@scheme_staff(Role.COORDINATOR)
class SchemeRounds(generics.ListAPIView):
    """Coordinators of the scheme: its matching rounds with the latest dry run's numbers."""

    serializer_class = RoundSerializer

    def get_queryset(self):
        return self.request.staff.scheme.matching_rounds.all()


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
        return run.pairs.order_by("id") if run else []
