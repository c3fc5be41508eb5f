from django.urls import path

from equimentor.privacy import views

app_name = "privacy"

urlpatterns = [
    path("me/privacy/", views.my_data, name="my_data"),
    path("me/privacy/my-data.json", views.export, name="export"),
    path("me/privacy/my-data/", views.export_readable, name="export_readable"),
    path("me/privacy/erase/", views.erase, name="erase"),
    path("schemes/<slug:slug>/privacy/", views.notice, name="notice"),
    path("manage/<slug:slug>/privacy/retention/", views.retention, name="retention"),
    path("accounts/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/", views.two_factor_verify, name="two_factor_verify"),
]
