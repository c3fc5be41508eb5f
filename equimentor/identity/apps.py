from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "equimentor.identity"
    label = "identity"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.identity import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
