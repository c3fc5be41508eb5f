from django.urls import path

from equimentor.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", views.index, name="index"),
    path("new-scheme/", views.new_scheme, name="new_scheme"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/attention/<slug:kind>/", views.attention_list, name="attention"),
    path("<slug:slug>/attention/<slug:kind>/remind/", views.remind, name="remind"),
    path("<slug:slug>/registrations/", views.registrations, name="registrations"),
    path("<slug:slug>/registrations/<int:pk>/", views.registration, name="registration"),
    path("<slug:slug>/emails/", views.emails, name="emails"),
    path("<slug:slug>/import/", views.import_start, name="import"),
    path("<slug:slug>/import/<int:pk>/", views.import_map, name="import_map"),
    path("<slug:slug>/settings/", views.scheme_settings, name="settings"),
    path("<slug:slug>/documents/", views.documents, name="documents"),
    path("<slug:slug>/documents/<str:kind>/edit/", views.edit_document, name="edit_document"),
    path(
        "<slug:slug>/documents/<int:pk>/publish/", views.publish_document, name="publish_document"
    ),
]
