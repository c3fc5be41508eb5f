"""A scheme's staff roles through the API: who holds which role; invite someone to a role,
revoke a role, withdraw an invitation.

Who may call it is the scheme staff page's rule: ``scheme_staff(COORDINATOR, SAFEGUARDING,
site_admins=True)``, scopes ``staff:read`` / ``staff:write`` (``api.scopes``). Which roles the
caller may grant, revoke and invite to is ``staff.services``' rule (``GRANTS``), checked by the
service the page calls: a role the caller may not touch is a 403 with the service's message, any
other refusal (the last coordinator, a role already held) a 409. Every change is audited by the
service (with the token's id when a token is used); the invitation is emailed by it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import F
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.api.idempotency import idempotent
from equimentor.api.problems import ProblemSerializer, Refused
from equimentor.core.roles import Role
from equimentor.schemes.access import get_role_in_scheme
from equimentor.schemes.models import Institution, StaffRole
from equimentor.staff import services
from equimentor.staff.access import get_invitation_in_scheme, scheme_staff

ROLES = (Role.COORDINATOR, Role.SAFEGUARDING)


def _refused(exc: services.StaffError, user, scheme, role) -> Exception:
    """403 when the caller may not grant or remove ``role`` here (the service's rule), else 409."""
    if not services.may_grant(user, scheme, role):
        return PermissionDenied(str(exc))
    return Refused(str(exc))


class StaffRoleSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    institutions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = StaffRole
        fields = ["id", "role", "name", "email", "institutions", "granted_at"]
        read_only_fields = fields


@scheme_staff(*ROLES, site_admins=True)
class SchemeStaff(generics.ListAPIView):
    """The scheme's coordinators and safeguarding leads (and site administrators): who holds
    which role since when (a committee member's institutions by id)."""

    serializer_class = StaffRoleSerializer

    def get_queryset(self):
        return (
            StaffRole.objects.filter(scheme=self.request.staff.scheme)
            .select_related("user")
            .prefetch_related("institutions")
            .annotate(holder_name=F("user__full_name"))  # the cursor reads its order from a row
            .order_by("role", "holder_name", "id")
        )


@scheme_staff(*ROLES, site_admins=True)
class RevokeRole(APIView):
    """The scheme's coordinators and safeguarding leads (and site administrators), for a role
    they may grant: revoke it (the person is told by email). The last coordinator or
    safeguarding lead of a scheme is kept (409)."""

    @extend_schema(responses={204: None, 409: ProblemSerializer})
    def delete(self, request, slug: str, pk: int):
        held = get_role_in_scheme(request.staff.scheme, pk)
        try:
            services.revoke_role(held, actor=request.user)
        except services.StaffError as exc:
            raise _refused(exc, request.user, held.scheme, held.role) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(max_length=254)
    full_name = serializers.CharField(max_length=200)
    role = serializers.ChoiceField(choices=Role.choices)
    institutions = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.all(),
        many=True,
        required=False,
        help_text="A committee member's role only: the institutions their reports cover.",
    )
    expires_at = serializers.DateTimeField(read_only=True)


@scheme_staff(*ROLES, site_admins=True)
class InviteToRole(APIView):
    """The scheme's coordinators and safeguarding leads (and site administrators): email
    someone a single-use, expiring invitation to a role they may grant (an earlier invitation
    to the same person and role stops working). Answers with the invitation (never its link)."""

    serializer_class = InvitationSerializer

    @extend_schema(
        request=InvitationSerializer,
        responses={201: InvitationSerializer, 409: ProblemSerializer},
    )
    @idempotent
    def post(self, request, slug: str):
        data = InvitationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d, scheme = data.validated_data, request.staff.scheme
        try:
            invitation = services.invite(
                scheme,
                email=d["email"],
                full_name=d["full_name"],
                role=Role(d["role"]),
                institutions=d.get("institutions", []),
                actor=request.user,
            )
        except services.StaffError as exc:
            raise _refused(exc, request.user, scheme, d["role"]) from exc
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


@scheme_staff(*ROLES, site_admins=True)
class WithdrawInvitation(APIView):
    """The scheme's coordinators and safeguarding leads (and site administrators), for a role
    they may grant: withdraw an invitation still waiting (its link stops working)."""

    @extend_schema(responses={204: None, 409: ProblemSerializer})
    def delete(self, request, slug: str, pk: int):
        invitation = get_invitation_in_scheme(request.staff.scheme, pk)
        try:
            services.withdraw_invitation(invitation, actor=request.user)
        except services.StaffError as exc:
            raise _refused(exc, request.user, invitation.scheme, invitation.role) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)
