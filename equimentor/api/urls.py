from django.urls import path
from drf_spectacular.views import SpectacularAPIView

import equimentor.api.relationships as relationships_api
from equimentor.api import directory, enrolment, matching, reference, views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", reference.APIReference.as_view(), name="reference"),
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
    path(
        "v1/schemes/<slug:slug>/interest/",
        enrolment.ExpressInterest.as_view(),
        name="express_interest",
    ),
    path(
        "v1/schemes/<slug:slug>/participants/import/",
        enrolment.ImportParticipants.as_view(),
        name="import_participants",
    ),
    path(
        "v1/schemes/<slug:slug>/registrations/<int:pk>/approve/",
        enrolment.ApproveRegistration.as_view(),
        name="approve_registration",
    ),
    path(
        "v1/schemes/<slug:slug>/registrations/<int:pk>/query/",
        enrolment.QueryRegistration.as_view(),
        name="query_registration",
    ),
    path(
        "v1/schemes/<slug:slug>/registrations/<int:pk>/decline/",
        enrolment.DeclineRegistration.as_view(),
        name="decline_registration",
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
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/",
        matching.RoundDetail.as_view(),
        name="matching_round",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/close-choices/",
        matching.CloseChoices.as_view(),
        name="close_choices",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/dry-run/",
        matching.DryRun.as_view(),
        name="dry_run",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/adjustments/",
        matching.RoundAdjustments.as_view(),
        name="round_adjustments",
    ),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/publish/",
        matching.Publish.as_view(),
        name="publish_round",
    ),
    path("v1/schemes/<slug:slug>/tasks/<int:pk>/", matching.SchemeTask.as_view(), name="task"),
    path(
        "v1/schemes/<slug:slug>/matching-rounds/<int:pk>/pairs/",
        matching.RoundPairs.as_view(),
        name="round_pairs",
    ),
    path(
        "v1/me/schemes/<slug:slug>/relationships/",
        relationships_api.MyRelationships.as_view(),
        name="my_relationships",
    ),
    path(
        "v1/me/schemes/<slug:slug>/relationships/<int:pk>/meetings/",
        relationships_api.RelationshipMeetings.as_view(),
        name="relationship_meetings",
    ),
    path(
        "v1/me/schemes/<slug:slug>/relationships/<int:pk>/meetings/<int:mid>/log/",
        relationships_api.LogMeeting.as_view(),
        name="relationship_meeting_log",
    ),
    path(
        "v1/me/schemes/<slug:slug>/relationships/<int:pk>/goals/",
        relationships_api.RelationshipGoals.as_view(),
        name="relationship_goals",
    ),
    path(
        "v1/me/schemes/<slug:slug>/relationships/<int:pk>/goals/<int:gid>/",
        relationships_api.UpdateGoal.as_view(),
        name="relationship_goal",
    ),
    path(
        "v1/me/schemes/<slug:slug>/check-ins/",
        relationships_api.MyCheckIns.as_view(),
        name="my_check_ins",
    ),
    path(
        "v1/me/schemes/<slug:slug>/check-ins/<int:pk>/answer/",
        relationships_api.AnswerCheckIn.as_view(),
        name="answer_check_in",
    ),
    path(
        "v1/schemes/<slug:slug>/relationships/",
        relationships_api.SchemeRelationships.as_view(),
        name="scheme_relationships",
    ),
]
