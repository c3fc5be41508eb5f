from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "equimentor.backoffice"
    label = "backoffice"
