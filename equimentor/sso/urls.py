from django.urls import path

from equimentor.sso import site_views, views

app_name = "sso"
urlpatterns = [
    path("", views.choose, name="choose"),
    path("start/<int:pk>/", views.start, name="start"),
    path("oidc/<int:pk>/callback/", views.oidc_callback, name="oidc_callback"),
    path("saml/acs/", views.saml_acs, name="saml_acs"),
    path("saml/metadata/", views.saml_metadata, name="saml_metadata"),
    path("saml/sls/", views.saml_sls, name="saml_sls"),
    path("welcome/", views.welcome, name="welcome"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("signed-out/everywhere/", views.single_logout, name="single_logout"),
    path("oidc/signed-out/", views.oidc_signed_out, name="oidc_signed_out"),
]
urlpatterns += [
    path("providers/", site_views.providers, name="site_providers"),
    path("providers/<int:institution>/", site_views.provider, name="site_provider"),
]
