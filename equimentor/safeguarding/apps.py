from django.apps import AppConfig


class SafeguardingConfig(AppConfig):
    name = "equimentor.safeguarding"
    label = "safeguarding"
    verbose_name = "Safeguarding"

    def ready(self) -> None:
        from equimentor.core import erasure
        from equimentor.pairing import exclusions
        from equimentor.safeguarding import services, shredders

        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
        # blocked and suspended people are never paired (pairing.exclusions)
        exclusions.NEVER_AGAIN.provide(services.never_again_pairs)
