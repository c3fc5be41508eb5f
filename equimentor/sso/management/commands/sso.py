"""``equimentor sso add|list``: configure institutions' identity providers from a script.

    equimentor sso add --institution "University of X" --domains x.ac.uk,med.x.ac.uk \\
        --oidc-issuer https://login.example.com/tenant/v2.0 --client-id ID --client-secret-file FILE
    equimentor sso add --institution "University of X" --domains x.ac.uk --saml-metadata FILE_OR_URL
    equimentor sso list

Secrets are read from a file (never a command-line argument, which other users can see in the
process list) and never printed.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from equimentor.schemes.models import Institution
from equimentor.sso import saml, services
from equimentor.sso.models import IdentityProvider


class Command(BaseCommand):
    help = "Configure institutions' single sign-on providers (add), or show them (list)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add or replace an institution's identity provider.")
        add.add_argument("--institution", required=True, help="The institution's name.")
        add.add_argument(
            "--domains", required=True, help="Email domains it serves, comma-separated."
        )
        add.add_argument("--oidc-issuer", help="OpenID Connect issuer URL.")
        add.add_argument("--client-id", help="OpenID Connect client ID.")
        add.add_argument("--client-secret-file", help="A file holding the client secret.")
        add.add_argument(
            "--saml-metadata", help="The SAML identity provider's metadata: a file or URL."
        )
        add.add_argument("--inactive", action="store_true", help="Save it turned off.")
        sub.add_parser("list", help="Show the configured providers (never their secrets).")

    def handle(self, *args, **options):
        if options["action"] == "list":
            return self._list()
        return self._add(options)

    def _add(self, options):
        oidc = options["oidc_issuer"] or options["client_id"] or options["client_secret_file"]
        if bool(oidc) == bool(options["saml_metadata"]):
            raise CommandError(
                "Give either --oidc-issuer, --client-id and --client-secret-file, "
                "or --saml-metadata."
            )
        try:
            domains = services.clean_domains(options["domains"])
            fields = self._oidc(options) if oidc else self._saml(options["saml_metadata"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        try:
            with transaction.atomic():
                institution, created = Institution.objects.get_or_create(
                    name=options["institution"].strip()
                )
                provider = services.save_provider(
                    institution, domains=domains, is_active=not options["inactive"], **fields
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if created:
            self.stdout.write(f"Institution added: {institution.name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{institution.name}: {provider.get_protocol_display()} provider saved "
                f"(id {provider.pk}) for {', '.join(domains)}."
            )
        )

    def _oidc(self, options) -> dict:
        if not (options["oidc_issuer"] and options["client_id"] and options["client_secret_file"]):
            raise ValidationError(
                "OpenID Connect needs --oidc-issuer, --client-id and --client-secret-file."
            )
        try:
            secret = Path(options["client_secret_file"]).read_text().strip()
        except OSError as exc:
            raise ValidationError("The client secret file cannot be read.") from exc
        if not secret:
            raise ValidationError("The client secret file is empty.")
        return {
            "protocol": IdentityProvider.Protocol.OIDC,
            "issuer": options["oidc_issuer"],
            "client_id": options["client_id"],
            "client_secret": secret,
        }

    def _saml(self, source: str) -> dict:
        if not source.startswith(("http://", "https://")):
            try:
                source = Path(source).read_text()
            except OSError as exc:
                raise ValidationError("The metadata file cannot be read.") from exc
        xml, url, entity_id = saml.read_metadata(source)
        return {
            "protocol": IdentityProvider.Protocol.SAML,
            "metadata_xml": xml,
            "metadata_url": url,
            "entity_id": entity_id,
        }

    def _list(self):
        providers = IdentityProvider.objects.select_related("institution").prefetch_related(
            "domains"
        )
        if not providers:
            self.stdout.write("No identity providers are configured.")
            return
        for p in providers:
            where = p.issuer if p.protocol == IdentityProvider.Protocol.OIDC else p.entity_id
            extra = (
                f"client {p.client_id}, secret {'stored' if p.has_secret else 'missing'}"
                if p.protocol == IdentityProvider.Protocol.OIDC
                else f"metadata {'from ' + p.metadata_url if p.metadata_url else 'uploaded'}"
            )
            self.stdout.write(
                f"{p.pk}\t{p.institution.name}\t{p.protocol}\t{'on' if p.is_active else 'off'}\t"
                f"{','.join(p.domain_list)}\t{where}\t{extra}"
            )
