"""The one piece of safeguarding the API shows: how many of the scheme's cases are past a
deadline, to its safeguarding leads only, as on the coordinator's overview. Never a case, a
reporter or any detail: the cases themselves stay on the safeguarding pages.

``scheme_staff(SAFEGUARDING)`` (a superuser is not a lead unless they hold the role; the
decision is audited either way), scope ``safeguarding:read``; the count is
``safeguarding.access.overdue_cases`` (cases the lead is excluded from are not counted).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.core.roles import Role
from equimentor.safeguarding.access import overdue_cases
from equimentor.staff.access import scheme_staff


class OverdueSerializer(serializers.Serializer):
    overdue = serializers.IntegerField(
        help_text="Cases past the acknowledgement or feedback deadline that you may see."
    )


@scheme_staff(Role.SAFEGUARDING)
class OverdueCases(APIView):
    """The scheme's safeguarding leads: how many of its cases are past a deadline."""

    @extend_schema(responses={200: OverdueSerializer})
    def get(self, request, slug: str):
        return Response({"overdue": overdue_cases(request.staff, request.user).count()})
