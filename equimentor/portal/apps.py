from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "equimentor.portal"
    label = "portal"
    verbose_name = "Home page"
