"""The ``equimentor`` command: Django's manage.py, plus ``demo`` and ``match``.

``equimentor match INSTANCE.json`` runs the Django-free matching engine on a file;
every other sub-command is a Django management command.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run a management command (or the engine's CLI) and return its exit status."""
    argv = list(sys.argv if argv is None else argv)
    command = argv[1] if len(argv) > 1 else "help"
    if command == "match":
        from equimentor.engine.cli import main as match_main

        return match_main(argv[2:])
    if command == "demo":
        os.environ.setdefault("EQUIMENTOR_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equimentor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
