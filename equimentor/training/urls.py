from django.urls import path

from equimentor.training import views

app_name = "training"

ME = "me/schemes/<slug:slug>/sessions/"
MANAGE = "manage/<slug:slug>/sessions/"
ME_INDUCTION = "me/schemes/<slug:slug>/induction/"
INDUCTION = "manage/<slug:slug>/induction/"

urlpatterns = [
    path(ME, views.sessions, name="sessions"),
    path(ME + "<int:pk>/", views.session, name="session"),
    path(ME + "<int:pk>/register/", views.register, name="register"),
    path(ME + "<int:pk>/cancel/", views.cancel, name="cancel"),
    path(ME + "<int:pk>/invite.ics", views.session_ics, name="session_ics"),
    path(ME + "<int:pk>/feedback/", views.feedback, name="feedback"),
    path("me/calendar/", views.calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", views.feed_ics, name="feed"),
    path(ME_INDUCTION, views.my_induction, name="induction"),
    path(ME_INDUCTION + "<int:pk>/", views.my_induction_item, name="induction_item"),
    path(INDUCTION, views.manage_induction, name="manage_induction"),
    path(
        INDUCTION + "settings/", views.manage_induction_settings, name="manage_induction_settings"
    ),
    path(INDUCTION + "draft/", views.manage_induction_draft, name="manage_induction_draft"),
    path(
        INDUCTION + "items/new/", views.manage_induction_item_new, name="manage_induction_item_new"
    ),
    path(INDUCTION + "items/<int:pk>/", views.manage_induction_item, name="manage_induction_item"),
    path(
        INDUCTION + "items/<int:pk>/delete/",
        views.manage_induction_item_delete,
        name="manage_induction_item_delete",
    ),
    path(INDUCTION + "publish/", views.manage_induction_publish, name="manage_induction_publish"),
    path(INDUCTION + "held-back/", views.manage_induction_holdups, name="manage_induction_holdups"),
    path(MANAGE, views.manage_sessions, name="manage_sessions"),
    path(MANAGE + "new/", views.manage_new_session, name="manage_new_session"),
    path(MANAGE + "<int:pk>/", views.manage_session, name="manage_session"),
    path(MANAGE + "<int:pk>/edit/", views.manage_edit_session, name="manage_edit_session"),
    path(MANAGE + "<int:pk>/cancel/", views.manage_cancel_session, name="manage_cancel_session"),
    path(MANAGE + "<int:pk>/attendance/", views.manage_attendance, name="manage_attendance"),
]
