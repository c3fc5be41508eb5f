from django.urls import path

from equimentor.staff import views

app_name = "staff"
urlpatterns = [
    path("site/", views.site_home, name="site_home"),
    path("site/institutions/", views.institutions, name="institutions"),
    path("site/institutions/<int:pk>/", views.institution, name="institution"),
    path("site/administrators/", views.administrators, name="administrators"),
    path("manage/<slug:slug>/staff/", views.scheme_staff_page, name="scheme_staff"),
    path("staff-invitations/<str:token>/", views.accept, name="accept"),
]
