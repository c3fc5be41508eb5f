from django.urls import path

from equimentor.matching import views

app_name = "matching"
urlpatterns = [
    path("manage/<slug:slug>/matching/", views.rounds, name="rounds"),
    path("manage/<slug:slug>/matching/open/", views.open_round, name="open_round"),
    path("manage/<slug:slug>/matching/<int:pk>/", views.round_detail, name="round"),
    path("manage/<slug:slug>/matching/<int:pk>/close/", views.close_choices, name="close_choices"),
    path("manage/<slug:slug>/matching/<int:pk>/run/", views.rerun, name="rerun"),
    path("manage/<slug:slug>/matching/<int:pk>/adjust/", views.adjust, name="adjust"),
    path("manage/<slug:slug>/matching/<int:pk>/publish/", views.publish, name="publish"),
    path("manage/<slug:slug>/proposals/", views.proposals, name="proposals"),
    path("me/schemes/<slug:slug>/proposals/", views.my_proposals, name="my_proposals"),
    path("me/schemes/<slug:slug>/proposals/<int:pk>/reply/", views.reply, name="reply"),
]
