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


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """The demo's primary scheme's id, the demo seeded once per test module inside a transaction
    rolled back at the module's end (as Django's ``setUpTestData``). Request it with ``db``: each
    test runs in a savepoint of it, so what one test writes is gone before the next. (Seeding
    took 5–10 s a test; issue #22.)"""
    from django.db import transaction
    from django.test import TestCase

    from equimentor.demo.seed import seed
    from equimentor.schemes.models import Scheme

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with TestCase.captureOnCommitCallbacks(execute=False):
                assert seed() is True
            yield Scheme.objects.get(slug="horizons").pk
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
