from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "equimentor.accounts"
    label = "accounts"

    def ready(self) -> None:
        from equimentor.accounts import shredders
        from equimentor.core import erasure

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        erasure.register(shredders.API_TOKENS)
