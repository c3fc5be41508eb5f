from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "equimentor.core"
    label = "core"
