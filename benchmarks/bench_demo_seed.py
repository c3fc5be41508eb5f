"""CPU and wall time of ``equimentor.demo.seed.seed()`` in the test settings (SQLite in memory).

    nice -n 19 .venv/bin/python benchmarks/bench_demo_seed.py --repeats 4
    nice -n 19 .venv/bin/python benchmarks/bench_demo_seed.py --repeats 2 --real-hasher

Creates the test database from the models, then seeds the demo ``--repeats`` times, each in a
transaction rolled back, and prints each seed's wall and CPU seconds (the first also imports
what the seed needs: read the later ones). ``--real-hasher`` hashes passwords with PBKDF2, as
``./scripts/demo`` does, instead of the test settings' MD5. To compare with another commit, put
an export of it first on ``PYTHONPATH`` (``git archive COMMIT | tar -x -C DIR``) and run this
script from there.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "equimentor.test_settings")

import django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--real-hasher", action="store_true")
    args = parser.parse_args()
    django.setup()
    from django.db import transaction
    from django.test.utils import override_settings, setup_databases

    from equimentor.demo.seed import seed

    setup_databases(verbosity=0, interactive=False)
    hashers = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"] if args.real_hasher else None
    with override_settings(**({"PASSWORD_HASHERS": hashers} if hashers else {})):
        for _ in range(args.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            with transaction.atomic():
                assert seed() is True
                transaction.set_rollback(True)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"seed wall {wall:.2f}s cpu {cpu:.2f}s", flush=True)


if __name__ == "__main__":
    main()
