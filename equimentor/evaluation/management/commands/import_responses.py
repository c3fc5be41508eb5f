"""``equimentor import_responses SCHEME QUESTIONNAIRE FILE.csv (--mapping MAP.yaml | --saved NAME)``

Imports a forms tool's CSV the way the import page does, for scripted migrations, with a
mapping file (the format is in ``EPILOG``, shown by ``--help``) or a mapping saved on the import
page, by its name (the page also downloads it as a file). As on the page, every column
must be mapped or ignored and every answer of a choice or scale column must mean an option (the
obvious are mapped without the file: same wording, "Neutral", "4 - Agree"); what is left is
listed and nothing is imported. Bad rows are reported by row number; ``--dry-run`` only checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from equimentor.evaluation import importer, mapping, services
from equimentor.evaluation.models import ImportMapping, Questionnaire
from equimentor.schemes.models import Scheme

EPILOG = """\
A mapping saved on the import page is used by its name (--saved NAME), or
downloaded there as a file. The mapping file (YAML, or JSON) says which question
each column holds and, where the answers are not worded as the questionnaire's
options, what each answer means:

  questionnaire: aimms-month-6   # optional: refused if it is not the questionnaire named
  role: mentee              # optional: every row's role, if no column gives it
  columns:                  # every column of the file, by its header
    "Timestamp": __ignore   # a column that is no question: left out on purpose
    "Are you a mentor or a mentee?": __role
    "Date": __month         # the date answered (kept as its month)
    "How would you rate the scheme overall? (1-5 stars)": stars
    "How far do you agree ... [The scheme was well organised]": organisation.organised
    "Please tell us why. #2": recommend_why   # the second column headed alike
  values:                   # per question: answer as written -> option
    good_relationship:
      "Yes": 4              # an agreement item: 1 strongly disagree ... 5 strongly agree
      "N/A": __none         # no answer
    still_meeting:
      "Sometimes": "yes"    # an option's code
    __role:
      "I am a mentee": mentee

A column maps to an item's code, a matrix row's "item.row", an "other, please
say" text's "item.other", one option of a multiple choice ticked or not
("item___option", as REDCap exports checkboxes: 1/0, Checked/Unchecked), or
__role, __month or __ignore. An answer maps to an option's code, a scale's
number, __none (no answer) or "other" (kept as the item's "other" text); a role
to mentee, mentor or __none (then --role, or the file's role, applies). Answers
worded as an option (any case or punctuation), a leading scale number
("4 - Agree") and common synonyms ("Neutral", "Y") need no entry; a "Yes" or
"No" on an agreement item always does.
"""


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's order of options, with the epilog's example kept as written."""


class Command(BaseCommand):
    help = "Import evaluation responses from a CSV file with a column and answer mapping."

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("epilog", EPILOG)
        kwargs["formatter_class"] = _Formatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("scheme", help="the scheme's slug")
        parser.add_argument("questionnaire", help="the questionnaire's code")
        parser.add_argument("csv", help="the CSV file (UTF-8)")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--mapping", help="a YAML or JSON mapping file (format below)")
        source.add_argument(
            "--saved", metavar="NAME", help="a mapping saved on the import page, by its name"
        )
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
            text = Path(opts["csv"]).read_text(encoding="utf-8-sig")
            if opts["mapping"]:
                spec = yaml.safe_load(Path(opts["mapping"]).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CommandError(str(exc)) from exc
        if opts["saved"]:
            saved = ImportMapping.objects.filter(
                scheme=scheme, code=q.code, name=opts["saved"]
            ).first()
            if saved is None:
                names = ", ".join(
                    f"'{n}'"
                    for n in ImportMapping.objects.filter(scheme=scheme, code=q.code).values_list(
                        "name", flat=True
                    )
                )
                raise CommandError(
                    f"No mapping '{opts['saved']}' of {q.code} in {scheme.slug}"
                    + (f" (saved: {names})." if names else " (none is saved).")
                )
            columns, values, role = saved.columns, saved.values, saved.role
        else:
            columns, values, role = _spec(spec)
            if spec.get("questionnaire") not in (None, q.code):
                raise CommandError(f"The mapping is for '{spec['questionnaire']}', not '{q.code}'.")
        role = opts["role"] or role
        try:
            headers, rows = importer.read(text)
        except importer.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self._unmapped(headers, rows, q.definition, columns)
        check = importer.check(text, q.definition, columns, role, values)
        if check.errors:
            for row, msg in check.errors:
                self.stderr.write(f"row {row}: {msg}")
            raise CommandError(f"{len(check.errors)} problem(s); nothing was imported.")
        if opts["dry_run"]:
            self.stdout.write(f"Dry run: {len(check.rows)} rows are correct; nothing was imported.")
            return
        count = services.import_responses(q, check.rows, actor=None)
        self.stdout.write(f"Imported {count} responses into {q.code} v{q.version}.")

    def _unmapped(self, headers, rows, definition, columns) -> None:
        """Name each column the mapping leaves out, with the question most like it."""
        plan = mapping.plan(headers, rows, definition, columns, match=False)
        if not plan.unmapped:
            return
        guess = {c.key: c for c in mapping.match_columns(headers, definition, columns)}
        for c in plan.unmapped:
            g = guess[c.key]
            near = (
                f" (it reads like {g.target}: {g.confidence}% alike)"
                if g.target and g.target != mapping.IGNORE
                else ""
            )
            self.stderr.write(
                f"column “{c.key}” is not in the mapping{near}: map it, or map it to __ignore"
            )


def _spec(spec) -> tuple[dict, dict, str]:
    if not isinstance(spec, dict):
        raise CommandError("The mapping file holds 'columns' (and optionally 'values', 'role').")
    columns = spec.get("columns") or {}
    values = spec.get("values") or {}
    if not isinstance(columns, dict) or not isinstance(values, dict):
        raise CommandError("'columns' and 'values' are mappings: see --help.")
    columns = {str(k): "" if v is None else str(v) for k, v in columns.items()}
    values = {
        str(f): {str(a): str(t) for a, t in (answers or {}).items()}
        for f, answers in values.items()
        if isinstance(answers, dict) or answers is None
    }
    return columns, values, str(spec.get("role") or "")
