from django.urls import path

from equimentor.evaluation import views

app_name = "evaluation"
M = "manage/<slug:slug>/evaluation/"
urlpatterns = [
    path("me/schemes/<slug:slug>/questionnaires/", views.mine, name="mine"),
    path("me/schemes/<slug:slug>/questionnaires/<int:pk>/", views.answer, name="answer"),
    path("evaluation/", views.index, name="index"),
    path(M, views.manage, name="manage"),
    path(M + "install/", views.install, name="install"),
    path(M + "settings/", views.settings_page, name="settings"),
    path(M + "questionnaires/new/", views.edit, name="new"),
    path(M + "questionnaires/<slug:code>/edit/", views.edit, name="edit"),
    path(M + "questionnaires/<slug:code>/schedule/", views.schedule, name="schedule"),
    path(M + "questionnaires/<slug:code>/hold/", views.hold, name="hold"),
    path(M + "questionnaires/<slug:code>/resume/", views.resume, name="resume"),
    path(M + "questionnaires/<slug:code>/send-now/", views.send_now, name="send_now"),
    path(M + "questionnaires/<slug:code>/preview/", views.preview, name="preview"),
    path(M + "results/<slug:code>/", views.results, name="results"),
    path(
        M + "results/<slug:code>/export/<slug:fmt>/",
        views.results_export,
        name="results_export",
    ),
    path(M + "compare/", views.compare, name="compare"),
    path(M + "coding/<slug:code>/<slug:item>/", views.coding, name="coding"),
    path(M + "coding/<slug:code>/<slug:item>/code/", views.code_answers, name="code_answers"),
    path(M + "import/", views.import_page, name="import"),
    path(M + "import/mappings/<int:pk>.yaml", views.import_mapping_file, name="mapping_file"),
    path(
        M + "import/mappings/<int:pk>/delete/",
        views.delete_import_mapping,
        name="delete_mapping",
    ),
    path(M + "export/<slug:fmt>/", views.export, name="export"),
]
