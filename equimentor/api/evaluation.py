"""Evaluation through the API: a questionnaire's results as the results page exports them, and
the coordinator's sending controls (hold, resume, send now).

Readers are the pages' (``evaluation.access``: results for coordinators, evaluators and committee
members; sending for coordinators), the results are ``evaluation.results`` (withheld exactly as
on the page) and every change calls the page's service (``evaluation.services``).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.core.roles import Role
from equimentor.evaluation import access, services
from equimentor.evaluation import results as results_of
from equimentor.evaluation.models import Questionnaire
from equimentor.staff.access import scheme_staff


class QuestionnaireSerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(help_text="Being sent (false: on hold).")

    class Meta:
        model = Questionnaire
        fields = ["code", "version", "wave", "title", "is_active", "created_at"]
        read_only_fields = fields


@scheme_staff(*access.READERS)
class SchemeQuestionnaires(generics.ListAPIView):
    """Coordinators, evaluators and committee members of the scheme: its questionnaires (the
    newest version of each), and whether each is being sent."""

    serializer_class = QuestionnaireSerializer
    pagination_class = None

    def get_queryset(self):
        return services.current_questionnaires(self.request.staff.scheme)


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type (``Accept: text/csv``); the view answers with the
    file itself, so only an error (a dict) is rendered here, as JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


class CSVRenderer(_FileRenderer):
    media_type, format = results_of.FORMATS["csv"], "csv"


class XLSXRenderer(_FileRenderer):
    media_type, format = results_of.FORMATS["xlsx"], "xlsx"


@scheme_staff(*access.READERS)
class QuestionnaireResults(APIView):
    """Coordinators, evaluators and committee members of the scheme: a questionnaire's results
    as the results page's CSV or XLSX export (per item and role: how many answered, counts and
    shares per answer, mean, median, minimum and maximum), figures withheld exactly as the page
    withholds them, optionally filtered by one filter item's answer (``filter``, ``value``).
    Each export is audited."""

    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    def handle_exception(self, exc):
        """An error is a problem document (JSON) whatever file type was asked for."""
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(results_of.FORMATS)),
            OpenApiParameter("filter", str, description="A filter item's code."),
            OpenApiParameter("value", str, description="The answer (option code) to filter by."),
        ],
        responses={
            **{
                (200, media): OpenApiResponse(OpenApiTypes.BINARY, description=f"The {fmt} file.")
                for fmt, media in results_of.FORMATS.items()
            },
            (400, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="No such filter."
            ),
        },
    )
    def get(self, request, slug: str, code: str, fmt: str):
        scheme = request.staff.scheme
        if fmt not in results_of.FORMATS:
            raise Http404("No such format: csv or xlsx.")
        filter_item = request.query_params.get("filter") or None
        try:
            r = results_of.results(
                scheme, code, filter_item, request.query_params.get("value") or None
            )
        except results_of.NoSuchFilter as exc:
            raise serializers.ValidationError(
                {"filter": [f"{filter_item!r} is not a filter of this questionnaire."]}
            ) from exc
        services.record_export(r.q, actor=request.user, scheme=scheme, fmt=f"results-{fmt}")
        content, content_type, name = results_of.results_file(r, scheme, fmt)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class SendingSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    is_active = serializers.BooleanField(help_text="Being sent (false: on hold).")
    changed = serializers.BooleanField(
        help_text="False: it was already on hold (hold) or being sent (resume)."
    )


def _sending(q: Questionnaire, changed: bool) -> Response:
    q = access.get_questionnaire(q.scheme, q.code)  # as it now stands
    return Response(
        {"code": q.code, "title": q.title, "is_active": q.is_active, "changed": changed}
    )


@scheme_staff(Role.COORDINATOR)
class HoldQuestionnaire(APIView):
    """Coordinators of the scheme: stop sending a questionnaire (new invitations and
    reminders) until it is resumed; invitations already sent stay open to answer."""

    @extend_schema(request=None, responses={200: SendingSerializer})
    def post(self, request, slug: str, code: str):
        q = access.get_questionnaire(request.staff.scheme, code)
        return _sending(q, services.hold(q, actor=request.user))


@scheme_staff(Role.COORDINATOR)
class ResumeQuestionnaire(APIView):
    """Coordinators of the scheme: send a questionnaire again from the next scheduled run
    (everyone due then is invited)."""

    @extend_schema(request=None, responses={200: SendingSerializer})
    def post(self, request, slug: str, code: str):
        q = access.get_questionnaire(request.staff.scheme, code)
        return _sending(q, services.resume(q, actor=request.user))


class SentNowSerializer(serializers.Serializer):
    code = serializers.CharField()
    due = serializers.IntegerField(help_text="How many people are being invited now.")


@scheme_staff(Role.COORDINATOR)
class SendQuestionnaireNow(APIView):
    """Coordinators of the scheme: invite now everyone a questionnaire is due for (even while
    it is on hold: one batch, not a start), in the background: 202 with how many; 200 with 0 if
    nobody is due (nothing is sent). Nobody is invited twice, however often this is called."""

    @extend_schema(
        request=None,
        responses={
            202: SentNowSerializer,
            200: OpenApiResponse(SentNowSerializer, description="Nobody due: nothing sent."),
        },
    )
    @idempotent
    def post(self, request, slug: str, code: str):
        q = access.get_questionnaire(request.staff.scheme, code)
        due = services.send_now(q, actor=request.user)
        return Response(
            {"code": q.code, "due": due},
            status=status.HTTP_202_ACCEPTED if due else status.HTTP_200_OK,
        )
