"""A scheme's documents through the API (privacy notice, code of conduct, consent wording ...):
list every version, save the draft of the next version, publish a version.

Coordinators of the scheme (``scheme_staff(COORDINATOR)``), scopes ``documents:read`` /
``documents:write`` (``api.scopes``), as the documents page; each change is the page's service
(``schemes.services.draft_document`` / ``publish_document``), which audits it (with the token's
id when a token is used). Another scheme's document is a 404 (``schemes.access``).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.problems import ProblemSerializer, Refused, invalid_parameter
from equimentor.core.roles import Role
from equimentor.schemes import services
from equimentor.schemes.access import get_document_for_coordinator
from equimentor.schemes.models import SchemeDocument
from equimentor.staff.access import scheme_staff


class DocumentSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=SchemeDocument.Kind.choices)
    published = serializers.BooleanField(source="is_published", read_only=True)

    class Meta:
        model = SchemeDocument
        fields = [
            "id",
            "kind",
            "version",
            "title",
            "body",
            "created_at",
            "published_at",
            "published",
        ]
        read_only_fields = ["id", "version", "created_at", "published_at", "published"]
        extra_kwargs = {"body": {"max_length": 100_000}}


@scheme_staff(Role.COORDINATOR)
class SchemeDocuments(generics.ListAPIView):
    """Coordinators of the scheme: every version of its documents (newest first per kind;
    filter with ``?kind=``). POST saves ``title`` and ``body`` as the draft of the next version
    of ``kind`` (201 a new draft; 200 when it rewrites the draft not yet published), as the
    document's edit page does; publishing is a separate step."""

    serializer_class = DocumentSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, enum=list(SchemeDocument.Kind.values), required=False)
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        rows = self.request.staff.scheme.documents.order_by("kind", "-version")
        kind = self.request.query_params.get("kind")
        if kind is not None:
            if kind not in SchemeDocument.Kind.values:
                raise invalid_parameter(
                    "kind", f"Choose one of: {', '.join(SchemeDocument.Kind.values)}."
                )
            rows = rows.filter(kind=kind)
        return rows

    @extend_schema(
        request=DocumentSerializer, responses={201: DocumentSerializer, 200: DocumentSerializer}
    )
    def post(self, request, slug: str):
        data = DocumentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d, scheme = data.validated_data, request.staff.scheme
        had_draft = scheme.documents.filter(kind=d["kind"], published_at__isnull=True).exists()
        draft = services.draft_document(
            scheme, d["kind"], title=d["title"], body=d["body"], actor=request.user
        )
        return Response(
            DocumentSerializer(draft).data,
            status=status.HTTP_200_OK if had_draft else status.HTTP_201_CREATED,
        )


@scheme_staff(Role.COORDINATOR)
class PublishDocument(APIView):
    """Coordinators of the scheme: publish a version; new registrations consent to it from now
    on. A version already published is a 409."""

    @extend_schema(request=None, responses={200: DocumentSerializer, 409: ProblemSerializer})
    def post(self, request, slug: str, pk: int):
        document = get_document_for_coordinator(request.staff.scheme, pk)
        try:
            document = services.publish_document(document, actor=request.user)
        except services.SchemeError as exc:
            raise Refused(str(exc)) from exc
        return Response(DocumentSerializer(document).data)
