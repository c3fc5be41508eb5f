from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "equimentor.safeguarding"
    label = "safeguarding"
    verbose_name = "Safeguarding"
