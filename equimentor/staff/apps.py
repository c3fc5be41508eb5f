from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "equimentor.staff"
    label = "staff"
    verbose_name = "Staff and site administration"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.staff import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
