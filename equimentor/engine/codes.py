"""Turning many Python values into integer codes in one pass.

The engine's inputs are lists of Python objects; each pass over them costs
about as much as the arithmetic that follows, so values are numbered while
they are read: a dict whose ``__missing__`` hands out the next number (one
Python call per *distinct* value), or ``dict.setdefault`` with the position
(no Python call at all) when most values are distinct.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


class Numbering(dict):
    """value -> 0, 1, 2, ... in order of first lookup."""

    __slots__ = ()

    def __missing__(self, value) -> int:
        number = self[value] = len(self)
        return number


def number(values: Sequence) -> tuple[np.ndarray, list]:
    """Number hashable ``values`` in order of first appearance.

    Returns ``(codes, distinct)``: ``distinct[codes[k]] == values[k]``, and
    ``distinct`` lists each value once, in order of first appearance (as
    ``dict.fromkeys`` would). Equal values share a code, so mix types only
    where equality means the same thing (``1 == 1.0 == True``).
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), []
    first_seen: dict = {}
    first = np.fromiter(map(first_seen.setdefault, values, range(n)), dtype=np.int64, count=n)
    dense = np.empty(n, dtype=np.int64)
    dense[np.fromiter(first_seen.values(), dtype=np.int64, count=len(first_seen))] = np.arange(
        len(first_seen), dtype=np.int64
    )
    return dense[first], list(first_seen)


class TextCodes(dict):
    """value -> code of its normalised text, coding each new value on first lookup.

    ``norm(value)`` gives the text ('' for unknown, coded -1); ``texts`` maps
    each text to its code and may be shared, so that equal texts get equal
    codes across several coders. Keys are values as given: where ``1``,
    ``1.0`` and ``True`` may occur together (equal keys, different texts),
    check the key types afterwards (see ``scoring._code_column``).
    """

    __slots__ = ("norm", "texts")

    def __init__(self, norm: Callable[[object], str], texts: dict[str, int] | None = None) -> None:
        super().__init__()
        self.norm = norm
        self.texts = {} if texts is None else texts

    def code(self, value) -> int:
        """The code of ``value``'s text, without keeping ``value`` (which may be unhashable)."""
        text = self.norm(value)
        return self.texts.setdefault(text, len(self.texts)) if text else -1

    def __missing__(self, value) -> int:
        code = self[value] = self.code(value)
        return code
