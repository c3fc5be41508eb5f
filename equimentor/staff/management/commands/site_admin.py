"""``equimentor site_admin add|remove|list``: site administrators from the command line.

    equimentor site_admin add someone@example.ac.uk --name "Their Name"
    equimentor site_admin remove someone@example.ac.uk
    equimentor site_admin list

How a new site gets its first site administrator (``createsuperuser`` also makes one). The
account is made if there is none (it signs in by emailed link); the person is told by email and
the change is audited, with no actor (the command line).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from equimentor.staff import services
from equimentor.staff.access import site_admins


class Command(BaseCommand):
    help = "Appoint (add) or remove a site administrator, or list them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Appoint a site administrator (making the account).")
        add.add_argument("email")
        add.add_argument("--name", default="", help="Their name, for a new account.")
        remove = sub.add_parser("remove", help="Remove a site administrator.")
        remove.add_argument("email")
        sub.add_parser("list", help="Show the site administrators.")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "list":
            for row in site_admins():
                self.stdout.write(f"{row.user.email}\t{row.granted_at:%Y-%m-%d}")
            return
        email = options["email"].strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an email address: {email}") from exc
        try:
            if action == "add":
                existing = services.find_user(email)
                if existing is None and not options["name"].strip():
                    raise CommandError("There is no account with this address: give --name.")
                user = existing or services.find_or_create_user(
                    email, options["name"], via="command"
                )
                services.appoint_site_admin(user, actor=None)
                self.stdout.write(f"{email} is a site administrator.")
            else:
                user = services.find_user(email)
                if user is None:
                    raise CommandError(f"No account has the address {email}.")
                services.remove_site_admin(user, actor=None)
                self.stdout.write(f"{email} is no longer a site administrator.")
        except services.StaffError as exc:
            raise CommandError(str(exc)) from exc
