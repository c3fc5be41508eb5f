from django.urls import path

from equimentor.relationships import views

app_name = "relationships"

ME = "me/schemes/<slug:slug>/"
REL = ME + "relationships/<int:pk>/"
MANAGE = "manage/<slug:slug>/relationships/"

urlpatterns = [
    path(ME + "mentoring/", views.home, name="home"),
    path(ME + "mentoring/concern/", views.concern, name="concern"),
    path(ME + "mentoring/check-ins/<int:pk>/", views.check_in, name="check_in"),
    path(ME + "mentoring/milestones/", views.milestones, name="milestones"),
    path(
        ME + "mentoring/milestones/<int:pk>/delete/",
        views.milestone_delete,
        name="milestone_delete",
    ),
    path(REL, views.detail, name="detail"),
    path(REL + "trial/", views.trial, name="trial"),
    path(REL + "end/", views.end, name="end"),
    path(REL + "pause/", views.pause, name="pause"),
    path(REL + "resume/", views.resume, name="resume"),
    path(REL + "close/", views.close, name="close"),
    path(REL + "sponsorship/", views.sponsorship, name="sponsorship"),
    path(REL + "agreement/", views.agreement, name="agreement"),
    path(REL + "agreement/confirm/", views.agreement_confirm, name="agreement_confirm"),
    path(REL + "agreement/print/", views.agreement_print, name="agreement_print"),
    path(REL + "meetings/", views.meetings, name="meetings"),
    path(REL + "meetings/<int:mid>/", views.meeting, name="meeting"),
    path(REL + "meetings/<int:mid>/move/", views.meeting_move, name="meeting_move"),
    path(REL + "meetings/<int:mid>/cancel/", views.meeting_cancel, name="meeting_cancel"),
    path(REL + "meetings/<int:mid>/invite.ics", views.meeting_ics, name="meeting_ics"),
    path(REL + "goals/", views.goals, name="goals"),
    path(REL + "goals/<int:gid>/", views.goal_update, name="goal_update"),
    path(REL + "notes/", views.notes, name="notes"),
    path(REL + "notes/<int:nid>/", views.note_edit, name="note_edit"),
    path(REL + "notes/<int:nid>/delete/", views.note_delete, name="note_delete"),
    path(MANAGE, views.manage_list, name="manage_list"),
    path(MANAGE + "export.csv", views.manage_export, name="manage_export"),
    path(MANAGE + "new/", views.manage_new, name="manage_new"),
    path(MANAGE + "settings/", views.manage_settings, name="manage_settings"),
    path(MANAGE + "flags/<int:pk>/resolve/", views.manage_resolve_flag, name="manage_resolve_flag"),
    path(MANAGE + "<int:pk>/", views.manage_detail, name="manage_detail"),
    path(MANAGE + "<int:pk>/act/", views.manage_act, name="manage_act"),
]
