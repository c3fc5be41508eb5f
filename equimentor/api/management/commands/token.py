"""``equimentor token create|revoke|list``: API tokens from the command line, for scripts and tests.

    equimentor token create someone@example.ac.uk --scope registrations:read --days 30
    equimentor token create coordinator@example.ac.uk --scheme horizons --scope reports:read
    equimentor token revoke 12
    equimentor token list [someone@example.ac.uk]

``create`` prints the new token once, on its own line (nothing else goes to standard output), and
the same rules apply as on the pages: a service token (``--scheme``) only for a coordinator of that
scheme. Made and revoked with no actor in the audit trail (the command line).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from equimentor.accounts.models import APIToken, User
from equimentor.api import services
from equimentor.api.scopes import DEFAULT_SCOPES, SCOPES
from equimentor.schemes.models import Scheme


class Command(BaseCommand):
    help = "Make (create), revoke or list API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print it once.")
        create.add_argument("email", help="The account the token acts as.")
        create.add_argument("--scheme", help="Make a service token of this scheme (its slug).")
        create.add_argument(
            "--scope",
            action="append",
            choices=list(SCOPES),
            help="A scope (repeat for more). Default: every read scope.",
        )
        create.add_argument("--days", type=int, default=None, help="Days until it expires.")
        create.add_argument("--name", default="Made on the command line")
        revoke = sub.add_parser("revoke", help="Stop a token working, at once.")
        revoke.add_argument("id", type=int, help="The token's number (as `list` shows).")
        listing = sub.add_parser("list", help="Show tokens (never their secrets).")
        listing.add_argument("email", nargs="?")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "create":
            user = User.objects.filter(email__iexact=options["email"].strip()).first()
            if user is None:
                raise CommandError(f"No account has the address {options['email']}.")
            scheme = None
            if options["scheme"]:
                scheme = Scheme.objects.filter(slug=options["scheme"]).first()
                if scheme is None:
                    raise CommandError(f"No scheme is called {options['scheme']}.")
            try:
                _, raw = services.create_token(
                    user,
                    name=options["name"],
                    scopes=options["scope"] or DEFAULT_SCOPES,
                    days=options["days"],
                    scheme=scheme,
                    actor=None,
                )
            except services.TokenError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(raw)
        elif action == "revoke":
            token = APIToken.objects.filter(pk=options["id"]).first()
            if token is None:
                raise CommandError(f"There is no token {options['id']}.")
            if services.revoke_token(token, actor=None):
                self.stderr.write(f"Token {token.pk} is revoked.")
            else:
                self.stderr.write(f"Token {token.pk} was already revoked.")
        else:
            rows = APIToken.objects.select_related("user", "scheme").order_by("pk")
            if options["email"]:
                rows = rows.filter(user__email__iexact=options["email"].strip())
            for t in rows:
                state = "revoked" if t.revoked_at else "expired" if t.is_expired else "active"
                self.stdout.write(
                    f"{t.pk}\teqm_{t.prefix}\t{t.user.email}\t{t.scheme.slug if t.scheme else '-'}"
                    f"\t{state}\t{t.expires_at:%Y-%m-%d}\t{','.join(t.scopes)}\t{t.name}"
                )
