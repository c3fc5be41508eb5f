from django.urls import path

from equimentor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("sign-in/", views.login_view, name="login"),
    path("sign-in/link/<str:token>/", views.use_link, name="use_link"),
    path("sign-out/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
]
