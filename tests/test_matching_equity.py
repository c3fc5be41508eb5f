"""Equity-aware matching through the web app: groups from consented answers only, the scheme's
policy, and the dry run's tables by group (with small numbers suppressed)."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from equimentor.matching import services
from equimentor.matching.adapter import build_instance
from tests import factories
from tests.matching_setup import choose

TRIALS = "clinical trials in primary care"


def make_rows():
    """Scheme A, alice, and 10 places for 20 mentees in two groups: group "white" fits the
    mentors better on every score (stage and interests), group "black" fits none of them:
    registered once for this module's tests (25 people through the services)."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        mentors = [
            factories.approved_mentor(
                scheme_a, alice, f"r{j}@example.org", capacity=2, interests=TRIALS
            )
            for j in range(5)
        ]
        good = [
            factories.approved_mentee(
                scheme_a, alice, f"w{i}@example.org", "white", stage=2, interests=TRIALS
            )
            for i in range(10)
        ]
        far = [
            factories.approved_mentee(
                scheme_a, alice, f"b{i}@example.org", "black", stage=5, interests=""
            )
            for i in range(10)
        ]
    return scheme_a, alice, (mentors, good, far)


scheme_a, alice, cohort = factories.rows_as("scheme_a", "alice", "cohort")


def _round_page(client, scheme, alice, by="ethnicity"):
    matching_round = services.open_round(scheme, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    page = client.get(
        reverse("matching:round", args=[scheme.slug, matching_round.pk]) + f"?by={by}"
    )
    assert page.status_code == 200
    return matching_round, run, page


def _rates(page) -> dict[str, list[str]]:
    tables = page.context["tables"]
    return {row.group: row.cells for row in [tables.rate_overall, *tables.rates]}


def test_groups_come_from_answers_consented_for_matching_only(scheme_a, alice, cohort):
    _, good, far = cohort
    quiet = factories.approved_mentee(scheme_a, alice, "q@example.org", "", stage=2, interests="")
    shy = factories.approved_mentee(
        scheme_a, alice, "shy@example.org", "asian", stage=2, interests="", matching=False
    )
    matching_round = services.open_round(scheme_a, actor=alice)
    prepared = build_instance(matching_round)
    groups = {m.id: m.groups for m in prepared.instance.mentees}
    # one opaque label per fair-matching question (ethnicity and gender by default)
    assert groups[good[0].pk] == ["ethnicity:5", "gender:-"]  # "white" is the 6th option
    assert groups[far[0].pk] == ["ethnicity:1", "gender:-"]
    # no answer, or an answer not consented for matching: "not stated"
    assert groups[quiet.pk] == groups[shy.pk] == ["ethnicity:-", "gender:-"]
    assert not any("white" in g or "asian" in g for gs in groups.values() for g in gs)
    assert prepared.instance.settings.policy == "fair"


def test_the_schemes_policy_decides_how_places_left_are_shared(client, scheme_a, alice, cohort):
    scheme_a.matching_policy = "score"
    scheme_a.save(update_fields=["matching_policy"])
    _, run, page = _round_page(client, scheme_a, alice)
    rates = _rates(page)
    white, black = "White", "Black, Black British, Caribbean or African"
    assert rates[white][0] == "100%" and rates[black][0] == "0%"
    notes = " ".join(page.context["tables"].notes)
    assert f"{black}: 50 points below all mentees" in notes
    assert "by compatibility only" in notes

    scheme_a.matching_policy = "fair"
    scheme_a.save(update_fields=["matching_policy"])
    matching_round = run.round
    services.dry_run(matching_round, actor=alice)
    page = client.get(
        reverse("matching:round", args=["scheme-a", matching_round.pk]) + "?by=ethnicity"
    )
    rates = _rates(page)
    assert rates[white][0] == rates[black][0] == "50%"
    assert rates[white][1] == rates[black][1] == "+0 pts"
    assert page.context["tables"].notes == []
    assert "the match rates of the scheme's groups are made as equal as possible" in (
        page.content.decode()
    )


def test_dry_run_tables_suppress_small_groups(
    client, scheme_a, alice, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quiet = factories.approved_mentee(
            scheme_a, alice, "q@example.org", "", stage=2, interests=""
        )
        extra = factories.approved_mentor(
            scheme_a, alice, "r-extra@example.org", capacity=1, interests=TRIALS
        )
    choose(quiet, extra)
    _, _, page = _round_page(client, scheme_a, alice)
    tables = page.context["tables"]
    counts = {row.group: row.cells for row in tables.rows}
    # one mentee without an answer: her counts are small, and since all mentees' figures are
    # shown, the other groups' are hidden too (else hers would follow): every rate withheld
    assert set(counts) == {"White", "Black, Black British, Caribbean or African", "Not stated"}
    assert {c for row in tables.rows for c in row.cells[:6]} <= {"<5", "x"}
    assert all(cell == "–" for row in tables.rates for cell in row.cells)
    assert _rates(page)["All mentees"][0] == "52%"
    html = page.content.decode()
    assert "Rates by ethnicity" in html
    assert "who carries the load" in html
    load = {row.group: row.cells for row in [tables.mentor_overall, *tables.mentors]}
    assert load["All mentors"] == ["6", "11", "11", "100%"]


def test_the_published_round_keeps_its_tables(client, scheme_a, alice, cohort):
    matching_round, _, _ = _round_page(client, scheme_a, alice)
    services.publish(matching_round, actor=alice)
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]) + "?by=fair")
    assert page.status_code == 200
    rates = _rates(page)
    assert "White · Not stated" in rates  # ethnicity × gender
    assert page.context["groupings"]["fair"] == "Ethnicity × Gender"


def test_the_equity_report_shows_each_published_round(client, scheme_a, alice, charlie, cohort):
    scheme_a.matching_policy = "score"
    scheme_a.save(update_fields=["matching_policy"])
    matching_round, _, _ = _round_page(client, scheme_a, alice)
    services.publish(matching_round, actor=alice)
    page = client.get(reverse("reports:dashboard", args=["scheme-a"]) + "?by1=ethnicity")
    reports = {r.title: r for r in page.context["reports"]}
    equity = reports["Matching equity by round by Ethnicity"]
    rows = {row[1]: row for row in equity.rows}
    assert rows["All mentees"] == ["Round 1", "All mentees", "20", "50%", "", "0%", ""]
    assert rows["White"] == ["Round 1", "White", "10", "100%", "+50 pts", "0%", "+0 pts"]
    assert rows["Black, Black British, Caribbean or African"][3:5] == ["0%", "-50 pts"]
    assert "Round 1: match-rate gap between the groups shown 100 points" in " ".join(equity.notes)
    load = reports["Mentors' places used by round (Ethnicity)"]
    assert load.rows == [["Round 1", "All mentors", "5", "10", "10", "100%"]]
    # another scheme's coordinator gets nothing
    client.force_login(charlie)
    assert client.get(reverse("reports:dashboard", args=["scheme-a"])).status_code == 403
