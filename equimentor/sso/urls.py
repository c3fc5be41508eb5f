from django.urls import path

from equimentor.sso import views

app_name = "sso"
urlpatterns = [
    path("", views.choose, name="choose"),
    path("start/<int:pk>/", views.start, name="start"),
    path("oidc/<int:pk>/callback/", views.oidc_callback, name="oidc_callback"),
    path("welcome/", views.welcome, name="welcome"),
]
