"""``equimentor backup FOLDER``: the database, the site's files and its secret key, in one folder."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from equimentor.core import backup


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump), EQUIMENTOR_VAR_DIR and the secret key into a "
        "new folder equimentor-<UTC time> inside FOLDER. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="Where to create the backup folder.")

    def handle(self, *args, folder: Path, **options):
        made = backup.back_up(folder)
        self.stdout.write(f"Backed up to {made}")
