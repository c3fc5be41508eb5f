"""A scheme's webhook endpoints through the API (``api.webhooks``): list, register (the secret
is in the answer, once), read, change, replace the secret (in the answer, once), remove, and
read an endpoint's delivery log.

Coordinators of the scheme only (``scheme_staff(COORDINATOR)``; a service token of the scheme
too), scopes ``webhooks:read`` / ``webhooks:write`` (``api.scopes``). Another scheme's endpoint
is a 404 (``api.access.get_webhook_for_coordinator``). Every change is audited by
the service (with the token's id when a token is used).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api import webhooks
from equimentor.api.access import get_webhook_for_coordinator
from equimentor.api.models import WebhookDelivery, WebhookEndpoint
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.core.roles import Role
from equimentor.staff.access import scheme_staff


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=list(webhooks.EVENTS)))
    active = serializers.SerializerMethodField()

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "created_at", "deleted_at"]
        read_only_fields = fields

    def get_active(self, endpoint) -> bool:
        return endpoint.deleted_at is None


class NewWebhookSerializer(serializers.Serializer):
    url = serializers.URLField(
        max_length=500,
        help_text="https:// on a server reachable on the internet; deliveries are POSTed here.",
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=list(webhooks.EVENTS)),
        allow_empty=False,
        max_length=len(webhooks.EVENTS),
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RegisteredWebhookSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="whsec_...: verifies each delivery's webhook-signature. Shown this once."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "event",
            "payload",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "next_attempt_at",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


@scheme_staff(Role.COORDINATOR)
class SchemeWebhooks(generics.ListAPIView):
    """Coordinators of the scheme: its webhook endpoints, removed ones too (GET); register one
    (POST): the answer carries its secret, shown this once."""

    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(scheme=self.request.staff.scheme).order_by(
            "-created_at", "-id"
        )

    @extend_schema(
        request=NewWebhookSerializer,
        responses={201: RegisteredWebhookSerializer, 409: ProblemSerializer},
    )
    def post(self, request, slug: str):
        data = NewWebhookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            webhooks.check_url(d["url"])
        except webhooks.WebhookError as exc:
            raise serializers.ValidationError({"url": [str(exc)]}) from exc
        try:
            endpoint, secret = webhooks.register(
                request.staff.scheme,
                url=d["url"],
                events=d["events"],
                description=d.get("description", ""),
                actor=request.user,
            )
        except webhooks.WebhookError as exc:
            raise Refused(str(exc)) from exc
        answer = {**WebhookEndpointSerializer(endpoint).data, "secret": secret}
        response = Response(answer, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class WebhookChangeSerializer(NewWebhookSerializer):
    """The fields to change; those left out stay as they are."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


@scheme_staff(Role.COORDINATOR)
class SchemeWebhook(APIView):
    """Coordinators of the scheme: one endpoint (GET); change its address, events or
    description (PATCH: only the fields sent; deliveries still waiting go to the new address;
    409 for a removed endpoint); remove it (DELETE: nothing more is sent to it; deliveries still
    waiting fail; its log stays; removing one already removed changes nothing)."""

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, slug: str, pk: int):
        endpoint = get_webhook_for_coordinator(request.staff.scheme, pk)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=WebhookChangeSerializer,
        responses={200: WebhookEndpointSerializer, 409: ProblemSerializer},
    )
    def patch(self, request, slug: str, pk: int):
        endpoint = get_webhook_for_coordinator(request.staff.scheme, pk)
        data = WebhookChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "url" in data.validated_data:
            try:
                webhooks.check_url(data.validated_data["url"])
            except webhooks.WebhookError as exc:
                raise serializers.ValidationError({"url": [str(exc)]}) from exc
        try:
            endpoint = webhooks.change(endpoint, actor=request.user, **data.validated_data)
        except webhooks.WebhookError as exc:
            raise Refused(str(exc)) from exc
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None})
    def delete(self, request, slug: str, pk: int):
        endpoint = get_webhook_for_coordinator(request.staff.scheme, pk)
        webhooks.remove(endpoint, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@scheme_staff(Role.COORDINATOR)
class WebhookSecret(APIView):
    """Coordinators of the scheme: replace an endpoint's secret (POST; 200 with the endpoint and
    its new secret, shown this once; 409 for a removed endpoint). Every try from now on is
    signed with the new secret."""

    @extend_schema(
        request=None, responses={200: RegisteredWebhookSerializer, 409: ProblemSerializer}
    )
    def post(self, request, slug: str, pk: int):
        endpoint = get_webhook_for_coordinator(request.staff.scheme, pk)
        try:
            secret = webhooks.new_secret_for(endpoint, actor=request.user)
        except webhooks.WebhookError as exc:
            raise Refused(str(exc)) from exc
        endpoint.refresh_from_db()
        response = Response({**WebhookEndpointSerializer(endpoint).data, "secret": secret})
        response["Cache-Control"] = "no-store"
        return response


@scheme_staff(Role.COORDINATOR)
class WebhookDeliveries(generics.ListAPIView):
    """Coordinators of the scheme: an endpoint's delivery log, newest first: each event sent or
    to be sent, its tries, the last answer and when the next try is due."""

    serializer_class = WebhookDeliverySerializer

    def get_queryset(self):
        endpoint = get_webhook_for_coordinator(self.request.staff.scheme, self.kwargs["pk"])
        return endpoint.deliveries.order_by("-created_at", "-id")
