from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "equimentor.reports"
    label = "reports"
    verbose_name = "Reports and the equity audit"

    def ready(self) -> None:
        from equimentor.core import disclosure, erasure
        from equimentor.reports import shredders
        from equimentor.reports.models import rules_for

        # the matching dry run (below this app) shows its counts under the scheme's rules
        disclosure.register(rules_for)
        # its part of erasing a person (core.erasure)
        erasure.register(shredders.SHREDDER)
