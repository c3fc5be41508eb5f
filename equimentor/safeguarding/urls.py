from django.urls import path

from equimentor.safeguarding import views

app_name = "safeguarding"

MANAGE = "manage/<slug:slug>/safeguarding/"

urlpatterns = [
    path("concerns/raise/", views.raise_concern, name="raise"),
    path("concerns/", views.my_concerns, name="my_concerns"),
    path("concerns/<int:pk>/", views.my_concern, name="my_concern"),
    path("concerns/follow-up/", views.follow_up, name="follow_up"),
    path(
        "me/schemes/<slug:slug>/relationships/<int:pk>/leave-without-fault/",
        views.leave,
        name="leave",
    ),
    path("manage/<slug:slug>/leaving-reasons/", views.leaving_reasons, name="leaving_reasons"),
    path(MANAGE, views.cases, name="cases"),
    path(MANAGE + "trends/", views.trends, name="trends"),
    path(MANAGE + "routes/", views.routes, name="routes"),
    path(MANAGE + "cases/<int:pk>/", views.case, name="case"),
    path(MANAGE + "cases/<int:pk>/act/", views.case_act, name="case_act"),
    path(MANAGE + "cases/<int:pk>/export.json", views.case_export, name="case_export"),
    path("safeguarding/access-log/", views.access_log, name="access_log"),
]
