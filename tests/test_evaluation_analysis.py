"""Analysis on a known dataset (AIMMS Table 3 and the star means), and who sees what."""

from __future__ import annotations

import pytest

from equimentor.evaluation import analysis, services
from equimentor.evaluation.models import Answer, Theme
from tests import evaluation_setup as es
from tests import factories


@pytest.fixture
def followup(scheme_a, alice):
    qs = es.install(scheme_a, alice)
    es.add(qs["aimms-month-6"], es.aimms_followup_rows())
    return qs["aimms-month-6"]


def _block(blocks, code):
    return next(b for b in blocks if b["item"]["code"] == code)


def test_table3_and_star_means_by_role(scheme_a, followup):
    resps = analysis.load(scheme_a, "aimms-month-6")
    grouped, blocks = analysis.results(followup.definition, resps, k=3)
    assert [(role, len(rs), shown) for role, rs, shown in grouped] == [
        ("mentee", 9, True),
        ("mentor", 4, True),
    ]
    personal = _block(blocks, "dev_personal")
    table = {
        row["code"]: [c["count"] if c["offered"] else "N/A" for c in row["cells"]]
        for row in personal["rows"]
    }
    assert table["confidence"] == [4, 0] and table["listening"] == ["N/A", 2]
    assert table["mentoring_skills"] == ["N/A", 3] and table["independence"] == [1, "N/A"]
    assert table["perspectives"] == [1, 3] and table["collaborative"] == [0, 0]
    stars = {s["role"]: s["mean"] for s in analysis.star_means(resps, 3)}
    assert stars == {"mentee": "4.6", "mentor": "3.8"}
    meetings = _block(blocks, "meetings")["stats"][0]
    assert (meetings["mean"], meetings["median"], meetings["min"], meetings["max"]) == (
        "2.7",
        "3.0",
        "1",
        "5",
    )
    # at the default threshold of 5 the four mentors are hidden
    grouped, blocks = analysis.results(followup.definition, resps, k=5)
    assert [shown for _r, _rs, shown in grouped] == [True, False]
    assert not _block(blocks, "dev_personal")["cols"][1]["shown"]


def test_results_page_shows_tables_charts_and_hides_small_groups(client, scheme_a, alice, followup):
    client.force_login(alice)
    page = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/").content.decode()
    assert (
        "Mentees n = 9" in page
        and "<svg" in page
        and "<caption>Mentoring has helped me develop personally" in page
    )
    assert "fewer than 5 (hidden)" in page  # mentors
    assert "4.6" in page and "3.8" not in page


def test_theme_coding_counts_by_role_and_quotes(client, scheme_a, alice, followup):
    es.add(followup, [("mentee", {"improve": (None, f"More training {i}")}) for i in range(8)])
    evaluator = es.staff(scheme_a, "evaluator", "eve@example.org")
    client.force_login(evaluator)
    url = f"/manage/{scheme_a.slug}/evaluation/coding/aimms-month-6/improve/"
    client.post(url + "code/", {"action": "theme", "label": "Training for mentors"})
    client.post(url + "code/", {"action": "theme", "label": "Wider scheme"})
    themes = list(Theme.objects.all())
    answers = list(Answer.objects.filter(item="improve"))
    for a in answers[:6]:
        client.post(url + "code/", {"answer": str(a.pk), "themes": [t.pk for t in themes]})
    page = client.get(url).content.decode()
    assert page.count("More training") >= 8 and "Mentee response" in page
    table, roles_n = analysis.theme_table(
        themes,
        {t.pk: list(t.tags.values_list("answer_id", flat=True)) for t in themes},
        {a.pk: ("mentee", a.text) for a in answers},
        5,
        8,
    )
    assert [row["cells"][0]["count"] for row in table] == [6, 6]
    # a coordinator may read but not code; a committee member never sees free text
    client.force_login(alice)
    assert client.post(url + "code/", {"action": "theme", "label": "x"}).status_code == 403
    committee = es.staff(scheme_a, "committee", "cam@example.org")
    client.force_login(committee)
    assert client.get(url).status_code == 403
    results = client.get(
        f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/"
    ).content.decode()
    assert (
        "mentees n = 17" in results
        and "Themes and quotes" not in results
        and "More training" not in results
    )
    assert client.get(f"/manage/{scheme_a.slug}/evaluation/export/csv/").status_code == 403


def test_other_schemes_staff_and_participants_get_nothing(
    client, scheme_a, alice, charlie, bob, followup
):
    urls = [
        f"/manage/{scheme_a.slug}/evaluation/",
        f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/",
        f"/manage/{scheme_a.slug}/evaluation/compare/",
        f"/manage/{scheme_a.slug}/evaluation/coding/aimms-month-6/improve/",
        f"/manage/{scheme_a.slug}/evaluation/import/",
        f"/manage/{scheme_a.slug}/evaluation/export/csv/",
        f"/manage/{scheme_a.slug}/evaluation/export/redcap-data/",
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/aimms-month-6/edit/",
    ]
    for user in (charlie, bob):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
    client.logout()
    assert client.get(urls[0]).status_code == 302


def test_editing_makes_a_new_version_and_schemes_add_their_own(client, scheme_a, alice, followup):
    from equimentor.evaluation import definitions

    client.force_login(alice)
    edited = dict(followup.definition)
    edited["items"] = edited["items"] + [
        {"code": "extra", "type": "number", "text": "Hours a month?", "min": 0, "max": 50}
    ]
    r = client.post(
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/aimms-month-6/edit/",
        {"definition": definitions.dump(edited)},
    )
    assert r.status_code == 302
    assert [
        q.version for q in services.current_questionnaires(scheme_a) if q.code == "aimms-month-6"
    ] == [2]
    bad = client.post(
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/new/",
        {
            "definition": "code: own\ntitle: Own\nwave: month_6\nitems:\n- {code: x, type: nope, text: X}"
        },
    )
    assert bad.status_code == 200 and "type" in bad.content.decode()
    ok = client.post(
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/new/",
        {
            "definition": "code: own\ntitle: Own\nwave: month_6\nitems:\n- {code: x, type: stars, text: X}"
        },
    )
    assert ok.status_code == 302


def test_baseline_versus_followup(client, scheme_a, alice, followup):
    factories  # noqa: B018
    base = services.current_questionnaires(scheme_a)[0]
    es.add(base, [("mentee", {"age_band": "a30_39"}) for _ in range(5)])
    es.add(followup, [("mentee", {"age_band": "a40_49"}) for _ in range(5)])
    rows = analysis.compare(
        analysis.load(scheme_a, wave="baseline"),
        analysis.load(scheme_a, wave="month_6"),
        [i for i in base.items if i["code"] == "age_band"],
        5,
    )
    (b_label, b), (f_label, f) = rows[0]["waves"]
    assert b["cols"][0]["n"] == 5 and f["cols"][0]["n"] == 5
    client.force_login(alice)
    assert (
        "What is your age?"
        in client.get(f"/manage/{scheme_a.slug}/evaluation/compare/").content.decode()
    )


def _counts_and_quotes(page: str) -> str:
    """The part of the coding page that is computed from the tags: counts and quotes."""
    return page[page.index("Theme counts by role") : page.index("<h2>Codebook")]


def test_coding_ignores_tags_on_answers_not_on_the_page(client, scheme_a, alice, followup):
    """A theme is the scheme's, for an item: a second questionnaire asking the same item (the
    demo's ``horizons-cohort-2``, a copy of the follow-up) shares it. Tags on the follow-up's
    answers made the copy's coding page fail with a KeyError (an answer id)."""
    cohort = services.save_definition(
        scheme_a, {**followup.definition, "code": "cohort-2", "title": "Cohort 2"}, actor=alice
    )
    es.add(followup, [("mentee", {"improve": (None, f"Follow-up idea {i}")}) for i in range(8)])
    es.add(cohort, [("mentee", {"improve": (None, f"Cohort idea {i}")}) for i in range(9)])
    evaluator = es.staff(scheme_a, "evaluator", "eve@example.org")
    client.force_login(evaluator)
    url = f"/manage/{scheme_a.slug}/evaluation/coding/cohort-2/improve/"
    themes = [
        services.add_theme(scheme_a, "improve", label, actor=evaluator)
        for label in ("Training", "Timing")
    ]
    cohort_answers = list(
        Answer.objects.filter(item="improve", response__questionnaire=cohort).order_by("text")
    )
    services.tag_answer(cohort_answers[0], themes[:1], actor=evaluator, scheme=scheme_a)
    before = client.get(url)
    assert before.status_code == 200
    for a in Answer.objects.filter(item="improve", response__questionnaire=followup):
        services.tag_answer(a, themes, actor=evaluator, scheme=scheme_a)
    after = client.get(url)
    assert after.status_code == 200  # was a KeyError
    page = after.content.decode()
    assert "Follow-up idea" not in page and page.count("Cohort idea") >= 9
    # the other questionnaire's tags change nothing on this page: not a count, not a quote
    assert _counts_and_quotes(page) == _counts_and_quotes(before.content.decode())
    resps = analysis.load(scheme_a, "cohort-2")
    answers_by_id = {
        aid: (role, text) for role, text, aid in analysis.text_answers(resps, "improve")
    }
    all_tags = {t.pk: list(t.tags.values_list("answer_id", flat=True)) for t in themes}
    assert sum(len(ids) for ids in all_tags.values()) == 1 + 8 + 8
    table, roles_n = analysis.theme_table(themes, all_tags, answers_by_id, 5, 8)
    assert roles_n == {"mentee": 9, "mentor": 0}
    assert [[c["count"] for c in row["cells"]] for row in table] == [[1, 0], [0, 0]]
    assert [q["text"] for row in table for q in row["quotes"]] == ["Cohort idea 0"]
    # and the follow-up's page counts its own tags only
    page = client.get(
        f"/manage/{scheme_a.slug}/evaluation/coding/aimms-month-6/improve/"
    ).content.decode()
    assert "Cohort idea" not in page and page.count("Follow-up idea") >= 8
