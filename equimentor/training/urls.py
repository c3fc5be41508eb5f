from django.urls import path

from equimentor.training import views

app_name = "training"

ME = "me/schemes/<slug:slug>/sessions/"
MANAGE = "manage/<slug:slug>/sessions/"

urlpatterns = [
    path(ME, views.sessions, name="sessions"),
    path(ME + "<int:pk>/", views.session, name="session"),
    path(ME + "<int:pk>/register/", views.register, name="register"),
    path(ME + "<int:pk>/cancel/", views.cancel, name="cancel"),
    path(ME + "<int:pk>/invite.ics", views.session_ics, name="session_ics"),
    path("me/calendar/", views.calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", views.feed_ics, name="feed"),
    path(MANAGE, views.manage_sessions, name="manage_sessions"),
    path(MANAGE + "new/", views.manage_new_session, name="manage_new_session"),
    path(MANAGE + "<int:pk>/", views.manage_session, name="manage_session"),
    path(MANAGE + "<int:pk>/edit/", views.manage_edit_session, name="manage_edit_session"),
    path(MANAGE + "<int:pk>/cancel/", views.manage_cancel_session, name="manage_cancel_session"),
]
