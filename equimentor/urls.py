"""Top-level URL map: one include per app."""

from django.urls import include, path

urlpatterns = [
    path("", include("equimentor.portal.urls")),
    path("", include("equimentor.core.urls")),
    path("accounts/", include("equimentor.accounts.urls")),
    path("sso/", include("equimentor.sso.urls")),
    path("schemes/", include("equimentor.portal.scheme_urls")),
    path("me/", include("equimentor.enrolment.urls")),
    path("", include("equimentor.directory.urls")),
    path("", include("equimentor.matching.urls")),
    path("", include("equimentor.relationships.urls")),
    path("", include("equimentor.training.urls")),
    path("", include("equimentor.evaluation.urls")),
    path("", include("equimentor.safeguarding.urls")),
    path("", include("equimentor.privacy.urls")),
    path("", include("equimentor.reports.urls")),
    path("", include("equimentor.staff.urls")),
    path("manage/", include("equimentor.backoffice.urls")),
    path("api/", include("equimentor.api.urls")),
    path("scim/v2/", include("equimentor.provisioning.urls")),  # SCIM 2.0 for directories
    path("", include("equimentor.api.page_urls")),  # making and revoking API tokens
]

handler400 = "equimentor.core.views.bad_request"
handler404 = "equimentor.core.views.not_found"
