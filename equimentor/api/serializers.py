from __future__ import annotations

from rest_framework import serializers

from equimentor.enrolment.models import Participant
from equimentor.schemes.models import Scheme


class SchemeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Scheme
        fields = [
            "slug",
            "name",
            "summary",
            "eligibility_statements",
            "roles",
            "max_choices",
            "relationship_months",
            "different_institutions",
            "career_stages",
            "is_open",
        ]

    def get_roles(self, scheme: Scheme) -> list[str]:
        return [code for code, _ in scheme.role_choices]


class ParticipationSerializer(serializers.ModelSerializer):
    """A participation as its owner or the scheme's coordinator sees it. Never identity data."""

    scheme = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    institution = serializers.StringRelatedField()
    role = serializers.CharField(source="role_code")
    career_stage_label = serializers.CharField()

    class Meta:
        model = Participant
        fields = [
            "id",
            "scheme",
            "status",
            "role",
            "job_title",
            "career_stage",
            "career_stage_label",
            "pathway",
            "institution",
            "department",
            "research_interests",
            "mentor_capacity",
            "registered_at",
            "approved_at",
        ]
        read_only_fields = fields
