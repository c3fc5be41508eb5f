"""The SCIM schemas served at /scim/v2/Schemas: django-scim2's copies of RFC 7643's core User and
enterprise extension, cut to the attributes a participant has here, and Equimentor's extension
(what the bulk import reads besides name and address)."""

from __future__ import annotations

import copy

from django_scim.schemas import ALL as LIBRARY

CORE_USED = {"userName", "name", "displayName", "emails", "active", "roles"}
ENTERPRISE_USED = {"organization", "department"}
EQUIMENTOR = "urn:ietf:params:scim:schemas:extension:equimentor:2.0:User"


def _cut(schema_id: str, used: set[str]) -> dict:
    schema = copy.deepcopy(next(s for s in LIBRARY if s["id"] == schema_id))
    schema["attributes"] = [a for a in schema["attributes"] if a["name"] in used]
    schema["meta"]["location"] = f"/scim/v2/Schemas/{schema_id}"
    return schema


def _attribute(name: str, description: str, *, kind: str = "string", mutability="immutable"):
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "description": description,
        "required": False,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    }


EXTENSION = {
    "id": EQUIMENTOR,
    "name": "EquimentorParticipant",
    "description": "What a scheme's participant is created with besides name and address (read "
    "as the coordinator's bulk import reads a spreadsheet); the person reviews it when they accept "
    "the invitation, so it is set at creation only.",
    "attributes": [
        _attribute(
            "role",
            "mentee, mentor or both (one the scheme offers). Required unless "
            "roles[].value gives it.",
        ),
        _attribute(
            "institution",
            "The institution: its name, short name or another name the "
            "scheme's site knows it by. Required unless the enterprise extension's "
            "organization gives it.",
        ),
        _attribute(
            "careerStage",
            "A career stage of the scheme's scale, by its wording or its number (1 = most junior).",
        ),
        _attribute("pathway", "clinical or non-clinical."),
        _attribute("department", "Department or specialty (else the enterprise extension's)."),
        _attribute("researchInterests", "Research interests."),
        _attribute("mentorCapacity", "For a mentor: how many mentees at once.", kind="integer"),
        _attribute(
            "status",
            "Where the registration is: invited, registered, queried, "
            "approved, declined, withdrawn.",
            mutability="readOnly",
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{EQUIMENTOR}"},
}

ALL = [
    _cut("urn:ietf:params:scim:schemas:core:2.0:User", CORE_USED),
    _cut("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", ENTERPRISE_USED),
    EXTENSION,
]


def all_schemas() -> list[dict]:
    return ALL
