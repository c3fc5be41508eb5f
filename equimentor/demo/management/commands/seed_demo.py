from django.core.management.base import BaseCommand

from equimentor.demo.seed import seed


class Command(BaseCommand):
    help = "Load the deterministic demo data (once)."

    def handle(self, *args, **options):
        created = seed()
        self.stdout.write("Demo data loaded." if created else "Demo data was already loaded.")
