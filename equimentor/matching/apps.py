from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "equimentor.matching"
    label = "matching"
