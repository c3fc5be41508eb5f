from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "equimentor.accounts"
    label = "accounts"
