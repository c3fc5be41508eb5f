from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "equimentor.privacy"
    label = "privacy"
    verbose_name = "Privacy and data-subject rights"
