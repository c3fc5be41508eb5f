"""``equimentor restore BACKUP``: load a backup made by ``equimentor backup``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from equimentor.core import backup


class Command(BaseCommand):
    help = (
        "Restore a backup folder made by `equimentor backup` into this site's database and "
        "EQUIMENTOR_VAR_DIR. Stop the web server, workers and scheduler first; SECRET_KEY must be "
        "the backup's. Then run `equimentor migrate` (a backup from an older version) and start."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path, help="The equimentor-<time> folder.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Drop what the database holds and overwrite existing files (default: refuse "
            "unless the database is empty and no file would be overwritten).",
        )

    def handle(self, *args, folder: Path, replace: bool = False, **options):
        done = backup.restore(folder, replace=replace)
        self.stdout.write(
            f"Restored the backup made at {done['created_at']} ({done['files']} files)."
        )
