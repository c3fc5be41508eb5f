from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "equimentor.matching"
    label = "matching"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.matching import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
