from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "equimentor.identity"
    label = "identity"
