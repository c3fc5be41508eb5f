from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from equimentor.demo.seed import seed


class Command(BaseCommand):
    help = "Load the deterministic demo data (once)."

    def handle(self, *args, **options):
        # The demo's history is made through the real services; its emails are not printed.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created = seed()
        self.stdout.write("Demo data loaded." if created else "Demo data was already loaded.")
