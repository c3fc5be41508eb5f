from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "equimentor.directory"
    label = "directory"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.directory import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
