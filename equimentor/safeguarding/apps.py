from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "equimentor.safeguarding"
    label = "safeguarding"
    verbose_name = "Safeguarding"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.safeguarding import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
