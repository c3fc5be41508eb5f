from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from equimentor.api import views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/schemes/", views.SchemeList.as_view(), name="schemes"),
    path("v1/schemes/<slug:slug>/", views.SchemeDetail.as_view(), name="scheme"),
    path(
        "v1/schemes/<slug:slug>/registrations/",
        views.SchemeRegistrations.as_view(),
        name="registrations",
    ),
    path(
        "v1/schemes/<slug:slug>/registrations/<int:pk>/",
        views.SchemeRegistration.as_view(),
        name="registration",
    ),
    path("v1/me/participations/", views.MyParticipations.as_view(), name="my_participations"),
]
