from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "equimentor.schemes"
    label = "schemes"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.schemes import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
