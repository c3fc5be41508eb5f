"""A scheme's participant as a SCIM User (django-scim2's adapter, ``SCIM_SERVICE_PROVIDER``).

A SCIM User here is one participation in the token's scheme (``id``: the participant's id), so the
same person in two schemes is two Users, each seen only by its own scheme's token. What a
directory sends is read into the bulk import's fields (:class:`services.Person`) and created by
``services.provision``; afterwards the profile is the person's own (they review it when they
accept the invitation), so updates change ``active`` only and other attributes sent are ignored.
``active: false`` (PATCH, PUT) and DELETE are ``services.deactivate``: the participation and its
history are kept, so the User stays readable, with ``active: false``.
"""

from __future__ import annotations

from django.conf import settings
from django_scim import exceptions
from django_scim.adapters import SCIMUser
from scim2_filter_parser.parser import SCIMParserError

from equimentor.enrolment.models import Participant
from equimentor.provisioning import services
from equimentor.provisioning.filters import ATTR_MAP

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
EQUIMENTOR = "urn:ietf:params:scim:schemas:extension:equimentor:2.0:User"
ROLES = ("mentee", "mentor", "both")


def base_location(request=None, *args, **kwargs) -> str:
    """Where resources' ``location`` URLs start: the site's own address."""
    return settings.SITE_URL


def extra_filter_kwargs_getter(model):
    """Every lookup of the views (one User, the list) is within the token's scheme."""

    def get_extra_filter_kwargs(request, *args, **kwargs):
        return {"scheme_id": request.scim_scheme.pk}

    return get_extra_filter_kwargs


def queryset_post_processor_getter(model):
    def post_process(request, qs, *args, **kwargs):
        return qs.select_related("user", "institution")

    return post_process


def _text(value, attribute: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise exceptions.BadRequestError(f"{attribute} must be text.", scim_type="invalidValue")
    return str(value).strip()


def _boolean(value, attribute: str = "active") -> bool:
    """A boolean; "True"/"False" as text too (Microsoft Entra sends them so in PATCH)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise exceptions.BadRequestError(
        f"{attribute} must be true or false.", scim_type="invalidValue"
    )


def _object(d: dict, key: str) -> dict:
    value = d.get(key) or {}
    if not isinstance(value, dict):
        raise exceptions.BadRequestError(f"{key} must be an object.", scim_type="invalidSyntax")
    return value


def _role(d: dict) -> str:
    """The role: the Equimentor extension's ``role``, else the primary (or only) of ``roles``."""
    role = _text(_object(d, EQUIMENTOR).get("role"), "role")
    roles = d.get("roles") or []
    if not role and roles:
        if not isinstance(roles, list) or not all(isinstance(r, dict) for r in roles):
            raise exceptions.BadRequestError(
                'roles must be a list of objects such as {"value": "mentee"}.',
                scim_type="invalidSyntax",
            )
        chosen = [r for r in roles if _boolean(r.get("primary", False), "primary")] or roles
        role = _text(chosen[0].get("value"), "roles.value")
    return role.lower()


def person_from(d: dict) -> services.Person:
    """What a SCIM User body says, in the bulk import's fields (checked there)."""
    email = _text(d.get("userName"), "userName")
    if not email:
        raise exceptions.BadRequestError(
            "userName is required: the person's email address (map the directory's mail to it).",
            scim_type="invalidValue",
        )
    name = _object(d, "name")
    full_name = _text(d.get("displayName"), "displayName") or _text(
        name.get("formatted"), "name.formatted"
    )
    if not full_name:
        given = _text(name.get("givenName"), "name.givenName")
        family = _text(name.get("familyName"), "name.familyName")
        full_name = " ".join(p for p in (given, family) if p)
    ours, enterprise = _object(d, EQUIMENTOR), _object(d, ENTERPRISE)
    role = _role(d)
    if not role:
        raise exceptions.BadRequestError(
            f"Say which role the person takes: {EQUIMENTOR}:role (or roles[].value) is "
            "mentee, mentor or both.",
            scim_type="invalidValue",
        )
    return services.Person(
        email=email,
        full_name=full_name,
        role=role,
        institution=_text(ours.get("institution"), "institution")
        or _text(enterprise.get("organization"), "organization"),
        career_stage=_text(ours.get("careerStage"), "careerStage"),
        pathway=_text(ours.get("pathway"), "pathway"),
        department=_text(ours.get("department"), "department")
        or _text(enterprise.get("department"), "department"),
        research_interests=_text(ours.get("researchInterests"), "researchInterests"),
        mentor_capacity=_text(ours.get("mentorCapacity"), "mentorCapacity"),
    )


def _refused(exc: services.Refused) -> exceptions.SCIMException:
    return exceptions.SCIMException(exc.detail, status=exc.status, scim_type=exc.kind)


class ParticipantUser(SCIMUser):
    """One participant of the token's scheme."""

    id_field = "pk"
    url_name = "scim:users"
    resource_type = "User"
    ATTR_MAP = ATTR_MAP

    def __init__(self, obj, request=None):
        super().__init__(obj, request)
        self.person: services.Person | None = None
        self.active: bool | None = None

    @property
    def id(self) -> str:
        return str(self.obj.pk)

    # -- reading ---------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        p: Participant = self.obj
        user = p.user
        created = p.registered_at.isoformat()
        changed = max(t for t in (p.registered_at, p.approved_at, p.withdrawn_at) if t)
        return {
            "schemas": [USER, EQUIMENTOR],
            "id": self.id,
            "userName": user.email,
            "name": {"formatted": user.full_name},
            "displayName": user.full_name,
            "emails": [{"value": user.email, "type": "work", "primary": True}],
            "active": p.is_active,
            "roles": [{"value": p.role_code, "primary": True}],
            EQUIMENTOR: {
                "role": p.role_code,
                "status": p.status,
                "institution": p.institution.name if p.institution_id else p.institution_other,
            },
            "meta": {
                "resourceType": self.resource_type,
                "created": created,
                "lastModified": changed.isoformat(),
                "location": self.location,
            },
        }

    @classmethod
    def resource_type_dict(cls, request=None) -> dict:
        d = super().resource_type_dict(request)
        d["description"] = "A participant of the scheme the token belongs to"
        d["schemaExtensions"] = [
            {"schema": EQUIMENTOR, "required": False},
            {"schema": ENTERPRISE, "required": False},
        ]
        return d

    # -- creating and replacing (POST, PUT) ---------------------------------------------------------

    def validate_dict(self, d) -> None:
        if not isinstance(d, dict):
            raise exceptions.BadRequestError(
                "The body must be a SCIM User: a JSON object.", scim_type="invalidSyntax"
            )

    def from_dict(self, d: dict) -> None:
        if "active" in d and d["active"] is not None:
            self.active = _boolean(d["active"])
        if self.obj.pk is None:
            self.person = person_from(d)

    def save(self) -> None:
        actor = self.request.user
        if self.obj.pk is None:
            if self.active is False:
                raise exceptions.BadRequestError(
                    "A participant is created active (invited); send active: false to "
                    "deactivate them later. Nothing was created.",
                    scim_type="invalidValue",
                )
            try:
                self.obj = services.provision(self.request.scim_scheme, self.person, actor=actor)
            except services.Refused as exc:
                raise _refused(exc) from exc
            return
        self._apply_active(actor)

    def _apply_active(self, actor) -> None:
        try:
            if self.active is False:
                services.deactivate(self.obj, actor=actor)
            elif self.active is True:
                services.refuse_reactivation(self.obj)
        except services.Refused as exc:
            raise _refused(exc) from exc
        self.obj = Participant.objects.select_related("user", "scheme", "institution").get(
            pk=self.obj.pk
        )

    def delete(self) -> None:
        """DELETE is a deactivation: the participation and its history are kept."""
        services.deactivate(self.obj, actor=self.request.user)

    # -- PATCH ------------------------------------------------------------------------------------

    def handle_operations(self, operations) -> None:
        """Read every operation first, then act once: only ``active`` changes anything."""
        if not isinstance(operations, list):
            raise exceptions.BadRequestError(
                "Operations must be a list.", scim_type="invalidSyntax"
            )
        for operation in operations:
            if not isinstance(operation, dict):
                raise exceptions.BadRequestError(
                    "Each operation is an object with op, path and value.",
                    scim_type="invalidSyntax",
                )
            op = str(operation.get("op", "")).lower()
            if op not in ("add", "replace", "remove"):
                raise exceptions.BadRequestError(
                    f"Unknown PATCH op {operation.get('op')!r}: add, replace or remove.",
                    scim_type="invalidSyntax",
                )
            path, value = operation.get("path"), operation.get("value")
            if path is not None and not isinstance(path, str):
                raise exceptions.BadRequestError("path must be text.", scim_type="invalidPath")
            if not path and op == "remove":
                raise exceptions.BadRequestError(
                    "A remove operation needs a path.", scim_type="noTarget"
                )
            try:
                pairs = self.parse_path_and_values(path, value)
            except (ValueError, SCIMParserError, exceptions.SCIMException) as exc:
                raise exceptions.BadRequestError(
                    "The operation's path, or its value's attribute names, cannot be read "
                    "(without a path, value is an object of attributes).",
                    scim_type="invalidPath",
                ) from exc
            for attr_path, attr_value in pairs:
                if attr_path.first_path[0].lower() != "active":
                    continue  # the profile is the person's own once created: ignored
                if op == "remove":
                    raise exceptions.BadRequestError(
                        "active cannot be removed: replace it with false to deactivate.",
                        scim_type="mutability",
                    )
                self.active = _boolean(attr_value)
        self._apply_active(self.request.user)
