from django.urls import path

from equimentor.reports import views

app_name = "reports"
urlpatterns = [
    path("manage/<slug:slug>/reports/", views.dashboard, name="dashboard"),
    path("manage/<slug:slug>/reports/settings/", views.settings_view, name="settings"),
    path("schemes/<slug:slug>/reports/", views.committee, name="committee"),
    path("schemes/<slug:slug>/reports/export.<str:fmt>", views.export, name="export"),
    path("api/v1/schemes/<slug:slug>/reports/", views.ReportAPI.as_view(), name="api"),
]
