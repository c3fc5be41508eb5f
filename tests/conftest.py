"""Personas: alice coordinates scheme A, bob takes part in A, charlie coordinates scheme B and must
see nothing of A; dana is an applicant with no account."""

from __future__ import annotations

import copy

import pytest
from hypothesis import settings as hypothesis_settings

from equimentor.directory import ordering
from tests import factories
from tests.sso_setup import oidc_provider, saml_idp  # noqa: F401  (identity providers)

# Hypothesis checks properties, not speed: no per-example deadline (its default, 200 ms, fails
# a correct example when this shared 2-core machine is busy; speed is measured by the benchmarks).
hypothesis_settings.register_profile("equimentor", deadline=None)
hypothesis_settings.load_profile("equimentor")

# The longest tests (5-35 s each on a quiet machine, `--durations`), longest first. They run before
# all others, so that at the end of a run both workers finish on short tests instead of one idling
# while the other runs a long one (issue #22; scripts/test also lets an idle worker steal queued
# tests, pytest-xdist's --dist worksteal). A node id here names a test, or all its parameters.
LONG_FIRST = [
    "tests/test_security_xss.py::test_planted_text_never_reaches_any_page_as_markup",
    "tests/test_deploy_files.py::test_the_migrate_role_prepares_an_empty_database",
    "tests/test_staff_access_matrix.py::test_each_view_allows_exactly_the_roles_its_decorator_names",
    "tests/test_participant_import.py::test_5000_rows_with_2_percent_bad_dry_run_import_rerun",
    "tests/test_api_walkthrough.py::test_the_walkthrough_script_runs_against_a_real_server",
    "tests/test_security_inputs.py::test_no_number_in_an_address_gives_a_server_error",
    "tests/test_web_server.py::test_gunicorn_behind_a_proxy_with_production_settings",
    "tests/test_security_disclosure_pages.py::test_no_pair_of_pages_reveals_a_hidden_group",
    "tests/browser/test_staff_journey.py::test_a_site_administrator_starts_a_scheme_that_its_staff_then_run",
    "tests/browser/test_training_journey.py::test_peer_support_session_waitlist_attendance_feedback",
    "tests/test_reports_disclosure.py::test_a_two_way_table_with_its_totals_passes_the_linear_programming_auditor",
    "tests/browser/test_matching_journey.py::test_choose_match_accept",
    "tests/test_project.py::test_demo_emails_link_to_where_the_demo_is_served",
    "tests/test_project.py::test_demo_data_is_deterministic_and_complete",
    "tests/test_security_disclosure_outcomes.py::test_no_pair_of_outcomes_pages_reveals_a_hidden_group",
    "tests/browser/test_evaluation_import_journey.py::test_evaluator_imports_a_messy_export_and_the_next_one_with_the_saved_mapping",
    "tests/engine/test_fairness.py::test_the_fairness_target_is_met_whenever_it_is_feasible",
    "tests/engine/test_fairness.py::test_phase2_equals_the_exact_lexicographic_optimum",
    "tests/test_project.py::test_demo_command_without_serving",
    "tests/engine/test_fairness.py::test_the_ties_describe_every_leximin_optimal_vector_of_counts",
    "tests/engine/test_fairness.py::test_asking_to_share_never_costs_a_place",
    "tests/test_security_csp.py::test_every_page_sends_the_policy",
    "tests/browser/test_api_reference.py::test_the_api_reference_renders_under_the_policy",
    "tests/engine/test_properties.py::test_deterministic",
    "tests/engine/test_properties.py::test_stable_capacity_and_hard_rules_both_phases",
    "tests/test_security_rate_limits.py::test_a_campus_behind_one_address_signs_in_all_day",
    "tests/browser/test_sso_journey.py::test_a_mentee_signs_in_through_her_institution_registers_and_signs_out",
    "tests/browser/test_evaluation_control.py::test_coordinator_checks_a_questionnaire_before_it_goes",
    "tests/test_reports_charts.py::test_the_committee_page_and_pdf_draw_equity_over_rounds",
    "tests/test_directory_scale.py::test_it_renders_with_five_thousand_mentors",
    "tests/browser/test_api_tokens_pages.py::test_a_coordinator_makes_uses_and_revokes_tokens",
    "tests/engine/test_fairness.py::test_fair_policy_keeps_stability_capacity_and_rules",
    "tests/browser/test_coordinator_pages.py::test_coordinator_reviews_and_approves",
    "tests/browser/test_api_pages.py::test_the_browsable_api_loads_under_the_policy",
    "tests/test_security_anonymity.py::test_given_the_whole_database_a_response_links_to_its_invitation_no_better_than_chance",
    "tests/engine/test_fast_paths.py::test_unusual_but_valid_types_give_the_same_result",
    "tests/browser/test_sso_admin_journey.py::test_a_site_administrator_sets_up_single_sign_on",
]


def pytest_collection_modifyitems(config, items):
    """The tests of ``LONG_FIRST`` first, in its order; the others keep theirs."""

    def rank(item):
        for i, prefix in enumerate(LONG_FIRST):
            if item.nodeid == prefix or item.nodeid.startswith(prefix + "["):
                return i
        return len(LONG_FIRST)

    items.sort(key=rank)


@pytest.fixture
def scheme_a(db):
    return factories.scheme_a()


@pytest.fixture
def scheme_b(db):
    return factories.make_scheme(name="Scheme B", slug="scheme-b")


@pytest.fixture
def institution(db):
    return factories.InstitutionFactory(name="University of Exampleton")


@pytest.fixture
def alice(scheme_a):
    return factories.alice(scheme_a)


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


@pytest.fixture(scope="module")
def module_rows(request, django_db_setup, django_db_blocker):
    """Rows a test module's tests share, made once for the module by its ``make_rows()``:
    Django's ``TestCase.setUpTestData`` for pytest, which has no such scope of its own
    (pytest-django #514; the pattern its issues show, as ``seeded_demo`` above). ``make_rows()``
    runs inside a transaction open until the module's last test and rolled back then. Tests take
    the rows through ``rows`` (or the fixtures ``factories.rows_as`` names): each requests ``db``
    and runs in a savepoint of that transaction, so what a test writes is gone before the next;
    and each gets its own ``copy.deepcopy`` of what ``make_rows`` returned, as
    ``setUpTestData``'s class attributes are copied for each test, so what a test changes in
    memory is gone too. ``make_rows`` runs on-commit callbacks only where it captures them
    itself (``TestCase.captureOnCommitCallbacks``), as a function-scoped fixture's would run only
    under ``django_capture_on_commit_callbacks``. Not for a module with ``transaction=True``
    tests: they would run inside the transaction."""
    from django.db import transaction

    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
    try:
        with django_db_blocker.unblock():
            made = request.module.make_rows()
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def rows(db, module_rows):
    """This test's own copy of its module's shared rows (``module_rows``)."""
    return copy.deepcopy(module_rows)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; every test starts with none, and with nothing the
    directory keeps in this process (``directory.ordering``): rows a module shares
    (``module_rows``) keep their directory version's token from test to test, so an order kept
    at one test's version number would otherwise be read by the next test at the same number."""
    from django.core.cache import cache

    cache.clear()
    ordering.forget()
    yield
    cache.clear()
