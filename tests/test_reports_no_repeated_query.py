"""Each report computation runs each of its queries once (issue #17: a standalone report ran its
query over people twice, once for its table and once for the funnel by quarter)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from equimentor.accounts.models import User
from equimentor.reports import sections
from equimentor.reports.matching_equity import matching_equity
from equimentor.reports.models import rules_for
from equimentor.reports.outcomes import questionnaire_outcomes
from equimentor.reports.queries import Scope
from equimentor.reports.training import training_reports
from tests import factories
from tests.reports_data import generate

BYS = [[], ["institution"], ["ethnicity"], ["ethnicity", "gender"]]


def make_rows():
    """The generated scheme, made once for this module's tests."""
    return generate(120, 50, seed=5)[0]


[scheme] = factories.rows_as("scheme")


def repeated(run) -> list[str]:
    """The queries ``run()`` sends more than once: the same SQL with the same parameters, or
    the query over people (``person_cells``, whatever its grouping) or over expressions of
    interest a second time."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    sqls = [q["sql"] for q in ctx.captured_queries]
    counts = Counter(sqls)
    out = [sql[:200] for sql, n in counts.items() if n > 1]
    people = [sql for sql in sqls if '"f_pid"' in sql and "COUNT(*)" in sql]
    if len(people) > 1:
        out.append(f"the query over people, {len(people)} times")
    eoi = [sql for sql in sqls if 'FROM "enrolment_expressionofinterest"' in sql]
    if len(eoi) > 1:
        out.append(f"the query over expressions of interest, {len(eoi)} times")
    return out


COMPUTATIONS = {
    "funnel": lambda scope, by, rules: sections.funnel_report(scope, by, rules),
    "funnel by quarter": lambda scope, by, rules: sections.funnel_report(
        scope, [], rules, quarter=True, page=by
    ),
    "conversions": lambda scope, by, rules: sections.conversions(scope, rules, page=by),
    "equity": lambda scope, by, rules: sections.equity_report(scope, by, rules),
    "mentor load": lambda scope, by, rules: sections.mentor_load(scope, by, rules),
    "full report": lambda scope, by, rules: sections.full_report(scope, by, rules),
    "matching equity": lambda scope, by, rules: matching_equity(scope, by, rules),
    "training": lambda scope, by, rules: training_reports(scope, by, rules),
    "outcomes": lambda scope, by, rules: questionnaire_outcomes(scope.scheme, rules, "", []),
}


@pytest.mark.parametrize("name", list(COMPUTATIONS))
@pytest.mark.parametrize("by", BYS, ids=lambda by: "-".join(by) or "overall")
def test_a_computation_runs_each_query_once(scheme, name, by):
    rules = rules_for(scheme)
    assert repeated(lambda: COMPUTATIONS[name](Scope(scheme), by, rules)) == []


@pytest.mark.parametrize("query", ["", "?by1=ethnicity&by2=gender"])
def test_a_page_runs_each_query_once(client, scheme, query):
    client.force_login(User.objects.get(email="coordinator@bench.example"))
    for url in ("/manage/bench/reports/", "/schemes/bench/reports/"):
        assert repeated(lambda url=url: client.get(url + query)) == []
