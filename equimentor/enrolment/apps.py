from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "equimentor.enrolment"
    label = "enrolment"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.enrolment import shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
