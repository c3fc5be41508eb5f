from django.urls import path

from equimentor.portal import scheme_pages as views

app_name = "schemes"
urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("<slug:slug>/", views.scheme_detail, name="detail"),
    path("<slug:slug>/documents/<str:kind>/", views.document, name="document"),
    path(
        "<slug:slug>/documents/<str:kind>/v<int:version>/", views.document, name="document_version"
    ),
]
