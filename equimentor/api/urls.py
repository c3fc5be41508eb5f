from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from equimentor.api import directory, matching, views

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
    path(
        "v1/schemes/<slug:slug>/mentors/",
        directory.DirectoryMentors.as_view(),
        name="directory_mentors",
    ),
    path("v1/me/schemes/<slug:slug>/choices/", directory.MyChoices.as_view(), name="my_choices"),
    path(
        "v1/me/schemes/<slug:slug>/proposals/", matching.MyProposals.as_view(), name="my_proposals"
    ),
    path(
        "v1/me/schemes/<slug:slug>/proposals/<int:pk>/reply/",
        matching.ReplyToProposal.as_view(),
        name="reply_to_proposal",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/",
        matching.SchemeRounds.as_view(),
        name="matching_rounds",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/pairs/",
        matching.RoundPairs.as_view(),
        name="round_pairs",
    ),
]
