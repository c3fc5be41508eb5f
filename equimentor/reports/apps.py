from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "equimentor.reports"
    label = "reports"
    verbose_name = "Reports and the equity audit"
