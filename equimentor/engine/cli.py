"""``equimentor match INSTANCE.json [--stable-only] [--out RESULT.json]``."""

from __future__ import annotations

import argparse
import gc
import json
import sys

import orjson

from .core import match
from .model import InstanceError
from .serialize import result_to_dict
from .validate import columnar_choices, instance_shape_from_dict


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
    # This process only reads, matches and writes: Python's cyclic garbage collector is paused
    # (the engine creates hundreds of thousands of small objects and no reference cycles, and
    # the collector's repeated scans of a large instance cost up to half of the time of building
    # the result). Memory is still freed by reference counting. The library never does this:
    # ``match`` may run inside a multithreaded web server.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _main(argv)
    finally:
        if enabled:
            gc.enable()


def _main(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help or a usage error; argparse printed it
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    path = args.instance
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return _fail(f"{path}: no such file")
    except IsADirectoryError:
        return _fail(f"{path}: is a directory, not a file")
    except PermissionError:
        return _fail(f"{path}: permission denied")
    except OSError as exc:
        return _fail(f"{path}: cannot read ({exc.strerror})")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson reads only strict JSON in UTF-8: anything else (a bad file, or NaN, which the
        # standard library accepts) is read again by the standard library, whose messages (and
        # leniency) the command has always had
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return _fail(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        except json.JSONDecodeError as exc:
            return _fail(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            )
        except RecursionError:
            return _fail(f"{path}: invalid JSON: nested too deeply")
    try:
        # (the checks of meaning are match's first step: made once, with the same messages; the
        # choices' ids are looked up while the file is read, and match reads mentor positions)
        instance = columnar_choices(instance_shape_from_dict(data))
        del raw, data  # (the instance holds what it needs; the choices' id lists go)
        result = match(instance, stable_only=args.stable_only)
    except InstanceError as exc:
        return _fail(f"{path}: {exc}")
    out = orjson.dumps(
        result_to_dict(result), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )
    if args.out:
        try:
            with open(args.out, "wb") as fh:
                fh.write(out)
        except OSError as exc:
            return _fail(f"{args.out}: cannot write ({exc.strerror})")
    else:
        binary = getattr(sys.stdout, "buffer", None)  # (a test's stand-in may have none)
        if binary is None:
            sys.stdout.write(out.decode("utf-8"))
        else:
            sys.stdout.flush()
            binary.write(out)
            binary.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
