from django.urls import path

from equimentor.directory import views

app_name = "directory"
urlpatterns = [
    path("schemes/<slug:slug>/mentors/", views.mentors, name="mentors"),
    path("schemes/<slug:slug>/mentors/<int:pk>/", views.mentor, name="mentor"),
    path("schemes/<slug:slug>/mentors/<int:pk>/choose/", views.choose, name="choose"),
    path("schemes/<slug:slug>/mentors/<int:pk>/conflict/", views.conflict, name="conflict"),
    path("me/schemes/<slug:slug>/choices/", views.choices, name="choices"),
    path("me/schemes/<slug:slug>/choices/<int:pk>/move/", views.move_choice, name="move_choice"),
    path(
        "me/schemes/<slug:slug>/choices/<int:pk>/remove/",
        views.remove_choice,
        name="remove_choice",
    ),
    path("me/schemes/<slug:slug>/choices/<int:pk>/note/", views.choice_note, name="choice_note"),
    path("me/schemes/<slug:slug>/preferences/", views.preferences, name="preferences"),
    path(
        "me/schemes/<slug:slug>/conflicts/<int:pk>/remove/",
        views.remove_conflict,
        name="remove_conflict",
    ),
    path("me/schemes/<slug:slug>/listing/", views.listing, name="listing"),
    path("me/schemes/<slug:slug>/listing/ranking/", views.ranking, name="ranking"),
]
