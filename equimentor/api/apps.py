from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "equimentor.api"
    label = "api"
