from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "equimentor.schemes"
    label = "schemes"
