"""``equimentor import_participants FILE --scheme SLUG [--dry-run] [--invite]``

Imports the people a scheme already has from a CSV or XLSX file whose first row names the
columns: email, name, role (mentee, mentor or both), institution (a listed name, short name or
alias), and optionally career stage, pathway, specialty, research interests and mentor capacity.
Headers are matched where the wording is close; identity columns are never imported.

Bad rows are listed with their row number and reason and left out; the good rows are imported in
one transaction, as people "invited" to review their profile and consent. Someone already in the
scheme is left exactly as they are, so running the same file again changes nothing.
``--dry-run`` checks and reports, and writes nothing. ``--invite`` emails each imported person not
yet invited a single-use link to review and consent (never twice).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from equimentor.enrolment import imports
from equimentor.schemes.models import Scheme


class Command(BaseCommand):
    help = "Import a scheme's participants from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--scheme", required=True, help="The scheme's short name (slug).")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--invite", action="store_true", help="Email the imported people their invitations."
        )

    def handle(self, *args, **options):
        scheme = Scheme.objects.filter(slug=options["scheme"]).first()
        if scheme is None:
            raise CommandError(f"No scheme has the short name {options['scheme']!r}.")
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            headers, rows = imports.read_table(content, path.name)
            mapping = imports.guess_mapping(headers)
            imports.check_mapping(mapping)
        except imports.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        used = {int(i): code for i, code in mapping.items()}
        for i, header in enumerate(headers):
            if i in used:
                self.stdout.write(f"column {i + 1} “{header}” -> {imports.FIELDS[used[i]][0]}")
            elif imports.is_identity_header(header):
                self.stdout.write(
                    f"column {i + 1} “{header}”: not imported (identity answers come only from "
                    "the person)"
                )
            else:
                self.stdout.write(f"column {i + 1} “{header}”: not imported")
        if options["dry_run"]:
            plan = imports.plan(scheme, rows, mapping)
            new, unchanged, bad = len(plan.new), len(plan.existing), plan.errors
            invited = 0
        else:
            result = imports.apply(scheme, rows, mapping, actor=None, invite=options["invite"])
            new, unchanged, invited = result.created, result.unchanged, result.invited
            bad = result.errors
        for row, reason in bad:
            self.stdout.write(f"row {row}: {reason}")
        verb = "would import" if options["dry_run"] else "imported"
        self.stdout.write(
            f"{verb} {new}, already in the scheme (unchanged) {unchanged}, rows with errors "
            f"{len(bad)}" + (f", invited {invited}" if options["invite"] else "")
        )
