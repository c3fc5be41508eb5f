"""``equimentor demo``: migrate, load demo data, print how to sign in, and serve."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.urls import reverse

from equimentor.demo.seed import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    SLUG,
    applicant_link,
    demo_email,
    seed,
)


class Command(BaseCommand):
    help = "Run the demonstration site on SQLite with demo data at http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Set everything up but do not serve."
        )
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="Where to serve (default %(default)s)."
        )

    def handle(self, *args, no_serve=False, addrport="127.0.0.1:8000", **options):
        if ":" not in addrport:  # a port alone
            addrport = f"127.0.0.1:{addrport}"
        call_command("migrate", interactive=False, verbosity=0)
        # The demo's history is made through the real services; its emails are not printed.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            created = seed()
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded." if created else "Demo data already loaded.")
        )
        base = f"http://{addrport}"
        link = applicant_link()
        lines = [
            "",
            "Sign in at " + base + reverse("accounts:login"),
            f"Every demo account below uses the password: {DEMO_PASSWORD}",
            "(or ask for a sign-in link: emails are printed in this terminal)",
            "Two-factor sign-in for staff is off in the demo; REQUIRE_STAFF_2FA=1 turns it on.",
            "",
        ]
        for label, local, _name in DEMO_ACCOUNTS:
            if label == "Applicant":
                where = (
                    f"register with {base}{reverse('enrolment:register', args=[link])}"
                    if link
                    else "already registered"
                )
                lines.append(f"  {label:<19} {demo_email(local):<36} {where}")
            else:
                lines.append(f"  {label:<19} {demo_email(local)}")
        lines += [
            "",
            f"The demo scheme: {base}{reverse('schemes:detail', args=[SLUG])}",
            f"Database: {settings.DATABASES['default']['NAME']}",
            "",
        ]
        self.stdout.write("\n".join(lines))
        if not no_serve:
            # links in the emails point where the demo is served, unless SITE_URL is set
            site_url = os.environ.get("SITE_URL", base)
            with override_settings(SITE_URL=site_url.rstrip("/")):
                call_command("runserver", addrport, use_reloader=False)
