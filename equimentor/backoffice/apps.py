from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "equimentor.backoffice"
    label = "backoffice"

    def ready(self) -> None:
        from equimentor.backoffice import shredders
        from equimentor.core import erasure

        erasure.register(shredders.SHREDDER)
