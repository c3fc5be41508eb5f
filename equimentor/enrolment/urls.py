from django.urls import path

from equimentor.enrolment import views

app_name = "enrolment"
urlpatterns = [
    path("register/<str:token>/", views.register, name="register"),
    path("rejoin/<str:token>/", views.rejoin, name="rejoin"),
    path("imported/<str:token>/", views.accept_import, name="accept_import"),
    path("schemes/<slug:slug>/", views.participation, name="participation"),
    path("schemes/<slug:slug>/profile/", views.edit_profile, name="edit_profile"),
    path("schemes/<slug:slug>/identity/", views.edit_identity, name="edit_identity"),
    path("schemes/<slug:slug>/withdraw/", views.withdraw, name="withdraw"),
]
