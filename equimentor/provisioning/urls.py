"""SCIM 2.0 under /scim/v2/ (RFC 7644), for an institution's directory (Microsoft Entra ID, Okta
...). Every view is a scheme's service token's (``access.scheme_service_token``: the statement and
its enforcement); unknown addresses are a SCIM 404 for anyone."""

from django.urls import re_path

from equimentor.core.access import public
from equimentor.provisioning import views
from equimentor.provisioning.access import scheme_service_token

app_name = "scim"

urlpatterns = [
    re_path(
        r"^Users/\.search$",
        scheme_service_token(views.UserSearch.as_view(), reads_by_post=True),
        name="users-search",
    ),
    re_path(
        r"^Users(?:/(?P<uuid>[^/]+))?$", scheme_service_token(views.Users.as_view()), name="users"
    ),
    re_path(
        r"^ServiceProviderConfig$",
        scheme_service_token(views.ServiceProviderConfigView.as_view()),
        name="service-provider-config",
    ),
    re_path(
        r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        scheme_service_token(views.ResourceTypes.as_view()),
        name="resource-types",
    ),
    re_path(
        r"^Schemas(?:/(?P<uuid>[^/]+))?$",
        scheme_service_token(views.Schemas.as_view()),
        name="schemas",
    ),
    re_path(r"^.*$", public(views.not_found), name="not-found"),
]
