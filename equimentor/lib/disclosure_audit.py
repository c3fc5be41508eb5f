"""An auditor for several published tables over the same people (Django-free).

Every published cell — in any table, total row or heading of a page — counts the people in a set
of *atoms*: the cells of the finest cross-classification the page uses (e.g. ethnicity × gender
× funnel step). A reader knows the value of every shown cell, that a cell shown "<t" holds 1 to
t − 1, and that every atom holds 0 or more. :func:`bounds` works out, by linear programming
(``scipy.optimize.linprog``, HiGHS), the least and greatest value each suppressed cell can take
consistently with all of that at once; :func:`audit` reports the suppressed cells a reader can
pin to one value, or show to be small when they are published as "x" rather than "<t".

The systems are tiny and many, and ``linprog``'s set-up and checks cost far more than each
solve, so two cases are settled without solving, once that independent part of the system is
known to be consistent (all atoms 0 fits it, or a solve has succeeded): a cell with an atom in
no published figure that bounds it above can grow without limit, and a cell whose atoms are in
no figure that bounds them below can be 0. Both are exact (from any consistent answer, raising
such an atom, or lowering such atoms to 0, breaks no figure). The rest, and the shadow prices
of :func:`binding`, are ``linprog``'s, solved afresh. (HiGHS's own Python package, ``highspy``,
was tried and dropped: its library and OR-Tools', which matching uses, export the same native
symbols, and whichever is loaded second fails to load in the same process.)

This is the linear-programming relaxation: the true integer bounds can be narrower than the
rounded LP bounds when three or more classifications are crossed (for a single two-way table
with its margins the two agree). A cell pinned by the LP is pinned; a cell the LP leaves open is
open to a reader who reasons only with sums and differences, not necessarily to one who
enumerates integer tables.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

_EPS = 1e-6


@dataclass(frozen=True)
class Finding:
    """A suppressed cell a reader can work out: ``why`` is ``"pinned"`` (one value possible)
    or ``"small"`` (shown as "x" but provably from 1 to t − 1)."""

    key: Hashable
    lo: int
    hi: float  # math.inf when nothing bounds it above
    why: str


class _Problem:
    """The published facts as a linear system over classes of atoms.

    Atoms that every cell either contains together or not at all are merged into one variable;
    cells are split into independent components (no shared atoms), each solved on its own."""

    def __init__(self, cells: Mapping[Hashable, Collection], facts: Mapping[Hashable, tuple]):
        signature: dict = {}
        for key in cells:
            for atom in cells[key]:
                signature.setdefault(atom, []).append(key)
        classes: dict = {}
        for atom, keys in signature.items():
            classes.setdefault(tuple(keys), []).append(atom)
        var_of = {}
        for i, atoms in enumerate(classes.values()):
            for atom in atoms:
                var_of[atom] = i
        self.vars = {key: sorted({var_of[a] for a in cells[key]}) for key in cells}
        # components: union-find over variables linked by a cell
        parent = list(range(len(classes)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for vs in self.vars.values():
            for v in vs[1:]:
                parent[find(v)] = find(vs[0])
        self.component = {key: (find(vs[0]) if vs else None) for key, vs in self.vars.items()}
        self.facts = facts
        self._systems: dict = {}
        self._parts: dict = {}
        self._by_component: dict | None = None

    def _members(self) -> dict:
        """``{component: its keys}``, in the order of ``cells``."""
        if self._by_component is None:
            self._by_component = {}
            for k, c in self.component.items():
                self._by_component.setdefault(c, []).append(k)
        return self._by_component

    def _system(self, comp):
        if comp not in self._systems:
            members = self._members()[comp]
            keys = [k for k in members if k in self.facts]
            vs = sorted({v for k in members for v in self.vars[k]})
            index = {v: i for i, v in enumerate(vs)}
            eq_rows, eq_b, ub_rows, ub_b, eq_keys, ub_keys = [], [], [], [], [], []
            for k in keys:
                lo, hi = self.facts[k]
                row = [index[v] for v in self.vars[k]]
                if lo == hi:
                    eq_rows.append((row, 1.0))
                    eq_b.append(lo)
                    eq_keys.append(k)
                    continue
                if hi != math.inf:
                    ub_rows.append((row, 1.0))
                    ub_b.append(hi)
                    ub_keys.append(k)
                if lo > 0:
                    ub_rows.append((row, -1.0))
                    ub_b.append(-lo)
                    ub_keys.append(k)
            self._systems[comp] = (
                index,
                _matrix(eq_rows, len(vs)),
                np.array(eq_b, dtype=float),
                _matrix(ub_rows, len(vs)),
                np.array(ub_b, dtype=float),
                eq_keys,
                ub_keys,
            )
        return self._systems[comp]

    def extreme(self, key, sense: int) -> float:
        """min (sense=1) or max (sense=-1) of ``key``'s value over the feasible set."""
        comp = self.component[key]
        if comp is None:  # a cell of no atoms is 0
            return 0.0
        part = self._parts.get(comp)
        if part is None:
            members = self._members()[comp]
            part = self._parts[comp] = _Part(
                [(self.vars[k], *self.facts[k]) for k in members if k in self.facts]
            )
        if part.feasible:  # the two cases that need no solve (see the module's docstring)
            if sense == -1 and not part.capped.issuperset(self.vars[key]):
                return math.inf
            if sense == 1 and part.held.isdisjoint(self.vars[key]):
                return 0.0
        value = self._solve(key, sense)[0]  # (ValueError if the figures are inconsistent)
        part.feasible = True
        return value

    def binding(self, key) -> set:
        """Published cells whose figures hold ``key`` at its least and greatest values (those
        with a non-zero shadow price): hiding one of them is the likeliest to free it."""
        return self._solve(key, 1)[1] | self._solve(key, -1)[1]

    def _solve(self, key, sense: int):
        """``linprog``'s optimum and the cells with non-zero marginals, solved afresh."""
        comp = self.component[key]
        if comp is None:  # a cell of no atoms is 0
            return 0.0, set()
        index, a_eq, b_eq, a_ub, b_ub, eq_keys, ub_keys = self._system(comp)
        c = np.zeros(len(index))
        for v in self.vars[key]:
            c[index[v]] = sense
        res = linprog(
            c,
            A_eq=a_eq if b_eq.size else None,
            b_eq=b_eq if b_eq.size else None,
            A_ub=a_ub if b_ub.size else None,
            b_ub=b_ub if b_ub.size else None,
            bounds=(0, None),
            method="highs",
        )
        if res.status == 3:  # unbounded (only possible when maximising)
            return math.inf, set()
        if res.status != 0:
            raise ValueError(f"the published figures are inconsistent: {res.message}")
        tight = set()
        for keys, duals in ((eq_keys, res.eqlin.marginals), (ub_keys, res.ineqlin.marginals)):
            tight |= {k for k, d in zip(keys, duals, strict=True) if abs(d) > _EPS}
        return sense * res.fun, tight

    def interval(self, key) -> tuple[int, float]:
        lo = math.ceil(self.extreme(key, 1) - _EPS)
        hi = self.extreme(key, -1)
        return max(lo, 0), (hi if hi == math.inf else math.floor(hi + _EPS))


class _Part:
    """What one independent part of the system tells without solving: the variables in a
    published figure with an upper limit (``capped``) and in one with a lower limit above 0
    (``held``), and whether the part is known to be consistent (all atoms 0 fits every figure,
    or a solve has succeeded)."""

    def __init__(self, figures: list):
        self.capped: set = set()
        self.held: set = set()
        self.feasible = True
        for row_vars, lo, hi in figures:
            if hi != math.inf:
                self.capped.update(row_vars)
            if lo > 0:
                self.held.update(row_vars)
            if not lo <= 0 <= hi:
                self.feasible = False


def _matrix(rows, n):
    if len(rows) * n <= 200_000:  # small: a dense array is quicker for linprog to take in
        a = np.zeros((len(rows), n))
        for i, (cols, sign) in enumerate(rows):
            a[i, cols] = sign
        return a
    data, ri, ci = [], [], []
    for i, (cols, sign) in enumerate(rows):
        for j in cols:
            data.append(sign)
            ri.append(i)
            ci.append(j)
    return csr_matrix((data, (ri, ci)), shape=(len(rows), n))


def facts(
    shown: Mapping[Hashable, int], small: Iterable[Hashable] = (), threshold: int = 5
) -> dict:
    """What a reader knows of each published cell, as ``{key: (lo, hi)}``: shown values exactly,
    "<threshold" cells from 1 to threshold − 1. Cells shown as "x" are simply left out."""
    out = {k: (int(v), int(v)) for k, v in shown.items()}
    for k in small:
        out[k] = (1, threshold - 1)
    return out


def bounds(
    cells: Mapping[Hashable, Collection],
    known: Mapping[Hashable, tuple],
    targets: Iterable[Hashable],
) -> dict:
    """``{target: (lo, hi)}``: the integer-rounded LP bounds of each target cell's value given
    ``known`` (``{key: (lo, hi)}`` for published cells; see :func:`facts`) and non-negative
    atoms. ``cells`` maps every key (published, suppressed, or just probed) to its atoms."""
    problem = _Problem(cells, known)
    return {k: problem.interval(k) for k in targets}


def audit(
    cells: Mapping[Hashable, Collection],
    values: Mapping[Hashable, int],
    *,
    small: Iterable[Hashable] = (),
    hidden: Iterable[Hashable] = (),
    threshold: int = 5,
    first: bool = False,
    targets: Iterable[Hashable] | None = None,
    safe: set | None = None,
) -> list[Finding]:
    """The suppressed cells a reader can work out from everything published together.

    ``cells``: every published or suppressed cell's atoms. ``values``: every cell's true count.
    ``small``: cells shown as "<threshold"; ``hidden``: cells shown as "x"; every other key of
    ``cells`` is shown with its value. A small cell is disclosed when pinned to one value; a
    hidden cell when pinned or when it can only be 1 to threshold − 1. With ``first``, stop at
    the first finding (cheaper, for a protection loop); ``targets`` limits which suppressed
    cells are examined, and the cells found safe are added to ``safe`` if given."""
    small, hidden = set(small), set(hidden) - set(small)
    shown = {k: values[k] for k in cells if k not in small and k not in hidden}
    problem = _Problem(cells, facts(shown, small, threshold))
    suppressed = small | hidden
    if targets is not None:
        suppressed &= set(targets)
    found = []
    for key in sorted(suppressed, key=repr):
        finding = _examine(problem, key, values[key], key in hidden, threshold)
        if finding is not None:
            found.append(finding)
            if first:
                break
        elif safe is not None:
            safe.add(key)
    return found


def _examine(problem: _Problem, key, v: int, hidden: bool, threshold: int) -> Finding | None:
    lo = max(0, math.ceil(problem.extreme(key, 1) - _EPS))
    # The true value is feasible, so lo <= v; below it, the cell is neither pinned nor (for an
    # "x" cell) shown to be at least 1 when lo is 0.
    if lo < v and (not hidden or lo == 0):
        return None
    hi = problem.extreme(key, -1)
    hi = hi if hi == math.inf else math.floor(hi + _EPS)
    if lo == hi:
        return Finding(key, lo, hi, "pinned")
    if hidden and lo >= 1 and hi <= threshold - 1:
        return Finding(key, lo, hi, "small")
    return None


def binding(
    cells: Mapping[Hashable, Collection], known: Mapping[Hashable, tuple], key: Hashable
) -> set:
    """The published cells that hold ``key`` at its bounds (see :meth:`_Problem.binding`)."""
    return _Problem(cells, known).binding(key)


def disclosed(
    cells: Mapping[Hashable, Collection],
    known: Mapping[Hashable, tuple],
    key: Hashable,
    value: int,
    *,
    hidden: bool,
    threshold: int = 5,
) -> Finding | None:
    """The finding for one suppressed cell (``hidden``: shown as "x"), or None."""
    return _examine(_Problem(cells, known), key, value, hidden, threshold)
