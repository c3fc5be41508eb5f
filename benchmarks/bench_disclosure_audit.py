"""Time the disclosure auditor (``equimentor.lib.disclosure_audit``) on one page of linked tables,
with the two cases settled without solving (now: ``_Problem.extreme``) and with one
``scipy.optimize.linprog`` call per cell and sense (before: ``_Problem._solve``), in one process,
in alternating order:

    nice -n 19 .venv/bin/python benchmarks/bench_disclosure_audit.py --runs 5

The page: people by ethnicity (6) × gender (3) × stage (registered, approved), counts 0–9 from a
fixed seed, published as four tables (overall; by ethnicity; by gender; ethnicity × gender, with
column totals), protected together by ``Linked`` (which asks the auditor after each choice of
hidden cells, as report pages do), then audited once more as a whole (``Linked.audit``). Both
ways must hide the same cells and find nothing, or the script stops.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from equimentor.lib import disclosure_audit  # noqa: E402
from equimentor.lib.disclosure import Linked, Rules  # noqa: E402

STEPS = {"registered": {"reg", "app"}, "approved": {"app"}}
TABLES = [((), False), (("eth",), True), (("gender",), True), (("eth", "gender"), True)]
RULES = Rules(threshold=5)


def micro(seed: int) -> dict:
    rng = random.Random(seed)
    return {(e, g, s): rng.randint(0, 9) for e in "abcdef" for g in "fmx" for s in ("reg", "app")}


def protect_page(people: dict):
    page = Linked(RULES)
    displays = []
    for dims, col_totals in TABLES:
        coord = [{"eth": a[0], "gender": a[1], "stage": a[2]} for a in people]
        rows = sorted({tuple(c[d] for d in dims) for c in coord})
        cells = {
            (r, col): sum(
                n
                for a, n in people.items()
                if a[2] in STEPS[col]
                and all(
                    dict(zip(("eth", "gender"), a[:2], strict=True))[d] == v
                    for d, v in zip(dims, r, strict=True)
                )
            )
            for r in rows
            for col in STEPS
        }
        p = page.protect(
            rows,
            list(STEPS),
            cells,
            RULES,
            row_totals=False,
            col_totals=col_totals,
            rows_as=list(dims),
            cols_as={c: {"stage": STEPS[c]} for c in STEPS},
            withhold=True,
        )
        displays.append(p.display)
    return page, displays


def linprog_extreme(self, key, sense):
    return self._solve(key, sense)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=22)
    args = parser.parse_args()
    people = micro(args.seed)
    now_extreme = disclosure_audit._Problem.extreme
    times: dict = {"now": {"protect": [], "audit": []}, "linprog": {"protect": [], "audit": []}}
    results = {}
    for run in range(args.runs):
        for way in ("linprog", "now") if run % 2 else ("now", "linprog"):
            disclosure_audit._Problem.extreme = linprog_extreme if way == "linprog" else now_extreme
            t0 = time.perf_counter()
            page, displays = protect_page(people)
            t1 = time.perf_counter()
            found = page.audit()
            t2 = time.perf_counter()
            times[way]["protect"].append(t1 - t0)
            times[way]["audit"].append(t2 - t1)
            assert found == [], found
            results.setdefault(way, displays)
            assert displays == results[way]
    disclosure_audit._Problem.extreme = now_extreme
    assert results["now"] == results["linprog"], "the two ways hid different cells"
    hidden = sum(v == "x" for d in results["now"] for v in d.values())
    print(f"{len(page.cells)} published cells, {hidden} shown as x, seed {args.seed}")
    for part in ("protect", "audit"):
        h, lp = (statistics.median(times[w][part]) for w in ("now", "linprog"))
        print(f"{part}: now {h * 1000:.1f} ms, linprog {lp * 1000:.1f} ms, ratio {h / lp:.3f}")


if __name__ == "__main__":
    main()
