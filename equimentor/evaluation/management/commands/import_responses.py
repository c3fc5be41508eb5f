"""``equimentor import_responses SCHEME QUESTIONNAIRE FILE.csv --mapping MAP.yaml``

Imports a forms tool's CSV the way the import page does, for scripted migrations. The mapping
file (YAML or JSON) is ``{columns: {"Column header": "item_code" | "__role" | "__month"},
role: mentee|mentor (optional, for every row)}``. Bad rows are reported by row number and nothing
is imported; ``--dry-run`` only checks.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from equimentor.evaluation import importer, services
from equimentor.evaluation.models import Questionnaire
from equimentor.schemes.models import Scheme


class Command(BaseCommand):
    help = "Import evaluation responses from a CSV file with a column mapping file."

    def add_arguments(self, parser):
        parser.add_argument("scheme", help="the scheme's slug")
        parser.add_argument("questionnaire", help="the questionnaire's code")
        parser.add_argument("csv", help="the CSV file (UTF-8)")
        parser.add_argument("--mapping", required=True, help="YAML or JSON mapping file")
        parser.add_argument("--role", default="", choices=["", "mentee", "mentor"])
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **opts):
        scheme = Scheme.objects.filter(slug=opts["scheme"]).first()
        if scheme is None:
            raise CommandError(f"No scheme '{opts['scheme']}'.")
        q = (
            Questionnaire.objects.filter(scheme=scheme, code=opts["questionnaire"])
            .order_by("-version")
            .first()
        )
        if q is None:
            raise CommandError(f"No questionnaire '{opts['questionnaire']}' in {scheme.slug}.")
        try:
            spec = yaml.safe_load(Path(opts["mapping"]).read_text(encoding="utf-8")) or {}
            text = Path(opts["csv"]).read_text(encoding="utf-8-sig")
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(str(exc)) from exc
        mapping = spec.get("columns") or {}
        role = opts["role"] or spec.get("role", "")
        check = importer.check(text, q.definition, mapping, role)
        if check.errors:
            for row, msg in check.errors:
                self.stderr.write(f"row {row}: {msg}")
            raise CommandError(f"{len(check.errors)} problem(s); nothing was imported.")
        if opts["dry_run"]:
            self.stdout.write(f"Dry run: {len(check.rows)} rows are correct; nothing was imported.")
            return
        count = services.import_responses(q, check.rows, actor=None)
        self.stdout.write(f"Imported {count} responses into {q.code} v{q.version}.")
