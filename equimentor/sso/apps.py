from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "equimentor.sso"
    label = "sso"
    verbose_name = "Institutional single sign-on"
