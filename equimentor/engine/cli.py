"""``equimentor match INSTANCE.json [--stable-only] [--out RESULT.json]``."""

from __future__ import annotations

import argparse
import json
import sys

from .core import match
from .model import InstanceError
from .serialize import result_to_dict
from .validate import instance_from_dict


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="equimentor match",
        description=(
            "Match mentees to mentors: a stable matching over the mentees' choices, "
            "then an optimal assignment of those left over to free places. "
            "Writes the result as JSON (see docs/matching.md)."
        ),
    )
    parser.add_argument("instance", metavar="INSTANCE.json", help="the instance file")
    parser.add_argument(
        "--stable-only",
        action="store_true",
        help="run only phase 1 (the stable matching over choices)",
    )
    parser.add_argument(
        "--out", metavar="RESULT.json", help="write the result here instead of stdout"
    )
    return parser


def _fail(message: str) -> int:
    print(f"equimentor match: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 ok, 2 bad input or usage).

    Parameters
    ----------
    argv:
        Arguments after ``equimentor match`` (default: ``sys.argv[1:]``).
    """
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; argparse printed it
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    path = args.instance
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return _fail(f"{path}: no such file")
    except IsADirectoryError:
        return _fail(f"{path}: is a directory, not a file")
    except PermissionError:
        return _fail(f"{path}: permission denied")
    except UnicodeDecodeError as exc:
        return _fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror})")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _fail(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return _fail(f"{path}: invalid JSON: nested too deeply")
    try:
        instance = instance_from_dict(data)
        result = match(instance, stable_only=args.stable_only)
    except InstanceError as exc:
        return _fail(f"{path}: {exc}")
    out = json.dumps(result_to_dict(result), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as fh:
                fh.write(out)
        except OSError as exc:
            return _fail(f"{args.out}: cannot write ({exc.strerror})")
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
