from __future__ import annotations

from rest_framework import serializers
from rest_framework.fields import empty

from equimentor.core.params import MAX_ID
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


class RequiredBooleanField(serializers.BooleanField):
    """A yes or no that must be given. DRF reads a boolean missing from form-encoded input as
    ``False`` (an unticked checkbox), so a program's form post that left it out was read as "no"
    (#20: a meeting logged as missed); here it is refused as missing, as in JSON."""

    default_empty_html = empty


class IdField(serializers.IntegerField):
    """A record's id in a request body: a whole number a database row can have. Beyond that the
    database refused the query and the request failed with a 500 (#20, found by the schema fuzz);
    now it is a 400 like any other invalid value, and the schema gives the range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)
