from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "equimentor.demo"
    label = "demo"
