from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "equimentor.api"
    label = "api"

    def ready(self):
        from equimentor.api import schema  # noqa: F401  (registers the bearer scheme's extension)
