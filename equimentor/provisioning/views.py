"""The SCIM 2.0 endpoints: django-scim2's views, narrowed to the token's scheme.

What differs from the library's own: every answer that is an error is a SCIM error document and an
unexpected failure is logged by its type and frames only (the library logs the request's body and
the exception's text, which can hold names and addresses); a list is counted in the database and
pages hold at most ``MAX_RESULTS``; a body that is not a JSON object, or not UTF-8, is a 400; an
``id`` that is not a participant of the scheme is a 404. Who may call each view is stated where
they are mounted (``urls.py``: ``access.scheme_service_token``).
"""

from __future__ import annotations

import json
import logging
import traceback

from django.db.models import QuerySet
from django.http import HttpResponse
from django.views.generic import View
from django_scim import constants, exceptions
from django_scim import views as scim
from django_scim.models import SCIMServiceProviderConfig

from equimentor.provisioning import schemas
from equimentor.provisioning.access import CONTENT_TYPE, error
from equimentor.provisioning.adapters import ParticipantUser

log = logging.getLogger(__name__)

MAX_RESULTS = 100
MAX_ID = 2**31 - 1  # a participant id any database holds


class ServiceProviderConfig(SCIMServiceProviderConfig):
    """What this service provider supports (RFC 7643, 5)."""

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["filter"] = {"supported": True, "maxResults": MAX_RESULTS}
        d["changePassword"] = {"supported": False}
        d["bulk"] = {"supported": False, "maxOperations": 0, "maxPayloadSize": 0}
        return d


class _Narrowed:
    """The library's view, answering its errors as SCIM documents without logging personal data."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return View.dispatch(self, request, *args, **kwargs)
        except exceptions.SCIMException as exc:
            return error(exc.status, exc.detail, exc.scim_type)
        except Exception as exc:
            log.error(
                "SCIM request failed: %s in %s\n%s",
                type(exc).__name__,
                type(self).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            return error(500, "The request could not be completed; nothing was changed.")

    def load_body(self, body):
        try:
            decoded = json.loads(body.decode(constants.ENCODING).strip() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise exceptions.BadRequestError(
                "The body is not JSON (UTF-8).", scim_type="invalidSyntax"
            ) from exc
        if not isinstance(decoded, dict):
            raise exceptions.BadRequestError(
                "The body must be a JSON object.", scim_type="invalidSyntax"
            )
        return decoded

    def get_object(self):
        uuid = self.kwargs.get(self.lookup_url_kwarg) or ""
        if not uuid.isdigit() or int(uuid) > MAX_ID:
            raise exceptions.NotFoundError(uuid[:50])
        return super().get_object()

    def _page(self, request):
        start, count = super()._page(request)
        return start, max(0, min(count, MAX_RESULTS))

    def _build_response(self, request, qs, start, count):
        total = qs.count() if isinstance(qs, QuerySet) else len(qs)
        page = list(qs[start - 1 : start - 1 + count]) if start <= total else []
        doc = {
            "schemas": [constants.SchemaURI.LIST_RESPONSE],
            "totalResults": total,
            "itemsPerPage": len(page),
            "startIndex": start,
            "Resources": [self.scim_adapter(o, request=request).to_dict() for o in page],
        }
        return HttpResponse(json.dumps(doc), content_type=CONTENT_TYPE)


class Users(_Narrowed, scim.UsersView):
    """GET (one, a page, a filter), POST (create as invited), PUT and PATCH (``active``),
    DELETE (deactivate)."""


class UserSearch(_Narrowed, scim.UserSearchView):
    """POST /Users/.search: a filter sent in the body."""


class ServiceProviderConfigView(_Narrowed, scim.ServiceProviderConfigView):
    pass


class ResourceTypes(_Narrowed, scim.ResourceTypesView):
    """The one resource type: User (no Groups)."""

    def type_dict_by_type_id(self, request):
        d = ParticipantUser.resource_type_dict(request)
        return {d["id"]: d}

    def get(self, request, uuid=None, *args, **kwargs):
        if uuid and uuid not in self.type_dict_by_type_id(request):
            raise exceptions.NotFoundError(uuid[:50])
        return super().get(request, uuid, *args, **kwargs)


class Schemas(_Narrowed, scim.SchemasView):
    """The schemas of what a User holds here: the core User (the attributes used), the
    enterprise extension's organization and department, and Equimentor's extension."""

    schemas_by_uri = {s["id"]: s for s in schemas.ALL}

    def get(self, request, uuid=None, *args, **kwargs):
        if uuid and uuid not in self.schemas_by_uri:
            raise exceptions.NotFoundError(uuid[:80])
        return super().get(request, uuid, *args, **kwargs)


def not_found(request, *args, **kwargs):
    """Any other address under /scim/v2/ (Groups, Bulk, Me are not offered)."""
    return error(
        404,
        "There is no such SCIM endpoint here: Users, Schemas, ResourceTypes and "
        "ServiceProviderConfig are offered.",
    )
