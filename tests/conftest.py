"""Personas: alice coordinates scheme A, bob takes part in A, charlie coordinates scheme B and must
see nothing of A; dana is an applicant with no account."""

from __future__ import annotations

import pytest

from tests import factories
from tests.sso_setup import oidc_provider, saml_idp  # noqa: F401  (identity providers)


@pytest.fixture
def scheme_a(db):
    return factories.make_scheme(name="Scheme A", slug="scheme-a", contact_email="a@example.org")


@pytest.fixture
def scheme_b(db):
    return factories.make_scheme(name="Scheme B", slug="scheme-b")


@pytest.fixture
def institution(db):
    return factories.InstitutionFactory(name="University of Exampleton")


@pytest.fixture
def alice(scheme_a):
    return factories.make_staff(
        scheme_a, "coordinator", email="alice@example.org", full_name="Alice Coordinator"
    )


@pytest.fixture
def charlie(scheme_b):
    return factories.make_staff(
        scheme_b, "coordinator", email="charlie@example.org", full_name="Charlie Other"
    )


@pytest.fixture
def bob_participant(scheme_a, institution, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return factories.register_participant(scheme_a, "bob@example.org", institution=institution)


@pytest.fixture
def bob(bob_participant):
    return bob_participant.user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On SQLite each worker's test database is built from the models (``TEST["MIGRATE"]`` in
    ``equimentor.test_settings``); the migrations are then recorded as applied, as they would be
    on a database that ``migrate`` made, so a test that runs ``migrate`` (the demo command does)
    finds nothing to do, as on any real installation."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("MIGRATE", True):
        with django_db_blocker.unblock():
            call_command("migrate", fake=True, verbosity=0)


@pytest.fixture(scope="session")
def demo_rows(django_db_setup, django_db_blocker, tmp_path_factory, worker_id):
    """The demo's rows, seeded once for the whole run: by the first pytest-xdist worker that needs
    them, the other workers read them from a file in the run's shared temporary directory."""
    from tests import demo_snapshot

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent
    with django_db_blocker.unblock():
        return demo_snapshot.shared(shared)


@pytest.fixture(scope="module")
def seeded_demo(demo_rows, django_db_blocker):
    """The demo's primary scheme's id, the demo's rows copied in once per test module inside a
    transaction rolled back at the module's end (as Django's ``setUpTestData``). Request it with
    ``db``: each test runs in a savepoint of it, so what one test writes is gone before the next.
    The demo itself is seeded once per run (``tests/demo_snapshot.py``; seeding took 5–10 s a
    module, issue #22)."""
    from django.db import transaction

    from equimentor.schemes.models import Scheme
    from tests import demo_snapshot

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            demo_snapshot.put(demo_rows)
            yield Scheme.objects.get(slug=demo_snapshot.SLUG).pk
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
