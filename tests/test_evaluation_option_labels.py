"""Option labels that are not text: stored before ``definitions.validate`` refused them (YAML read
an unquoted ``label: Yes, as a mentee`` as true), they made the CSV and XLSX exports fail.

Pages and exports render such a label as text, and the ``repair_option_labels`` migration mends
the stored definitions: from the shipped template where the questionnaire came from one,
otherwise the option's code in words.
"""

from __future__ import annotations

import csv
import importlib
import io
from types import SimpleNamespace

import pytest
import yaml
from django.apps import apps
from django.db import connection
from openpyxl import load_workbook

from equimentor.evaluation import definitions, exports, importer, services
from equimentor.evaluation.forms import QuestionnaireForm
from equimentor.evaluation.models import Answer, Questionnaire
from tests import evaluation_setup as es

migration = importlib.import_module("equimentor.evaluation.migrations.0002_repair_option_labels")

# how the shipped templates wrote it before the labels were quoted, and how YAML read it
OLD_PRIOR = """
- code: prior_mentoring
  type: multiple
  text: Before this scheme, had you taken part in mentoring?
  options:
    - {code: as_mentee, label: Yes, as a mentee}
    - {code: as_mentor, label: Yes, as a mentor}
    - {code: none, label: No, exclusive: true}
"""
SHIPPED_PRIOR = ["Yes, as a mentee", "Yes, as a mentor", "No"]


def _old_options():
    return yaml.safe_load(OLD_PRIOR)[0]["options"]


def _prior(definition):
    return next(i for i in definition["items"] if i["code"] == "prior_mentoring")


def _break(q: Questionnaire) -> Questionnaire:
    """Store ``q`` as it was stored before the fix: its prior_mentoring labels true/false."""
    q.refresh_from_db()
    definition = q.definition
    assert isinstance(_prior(definition)["options"][0]["label"], str)
    _prior(definition)["options"] = _old_options()
    Questionnaire.objects.filter(pk=q.pk).update(definition=definition)
    q.refresh_from_db()
    assert _prior(q.definition)["options"][0]["label"] is True
    return q


def _labels(definition):
    return [o["label"] for o in _prior(definition)["options"]]


# -- the repair function --------------------------------------------------------------------------


def test_the_old_yaml_really_gave_true_and_false():
    assert _old_options() == [
        {"code": "as_mentee", "label": True, "as a mentee": None},
        {"code": "as_mentor", "label": True, "as a mentor": None},
        {"code": "none", "label": False, "exclusive": True},
    ]


def test_repair_takes_the_shipped_label_for_the_same_item_and_option():
    shipped = migration.shipped_labels()
    assert set(shipped) == set(definitions.shipped())
    definition = {"code": "aimms-month-6", "items": yaml.safe_load(OLD_PRIOR)}
    fixed, repaired = migration.repair_definition(definition, shipped["aimms-month-6"])
    assert repaired == 3
    assert _prior(fixed)["options"] == [
        {"code": "as_mentee", "label": "Yes, as a mentee"},  # the cut-off piece is dropped
        {"code": "as_mentor", "label": "Yes, as a mentor"},
        {"code": "none", "label": "No", "exclusive": True},
    ]
    assert _prior(definition)["options"][0]["label"] is True  # a copy: the input is unchanged


def test_repair_falls_back_to_the_code_in_words():
    items = yaml.safe_load(OLD_PRIOR) + [
        {
            "code": "ready",
            "type": "single",
            "text": "Ready?",
            "options": [
                {"code": "yes", "label": True},
                {"code": "not_yet", "label": False, "roles": ["mentee"]},
                {"code": "year", "label": 2024},
                {"code": "fine", "label": "Fine as it is"},
                {"code": "unlabelled"},
            ],
        }
    ]
    fixed, repaired = migration.repair_definition({"code": "own", "items": items})
    assert repaired == 7
    assert _labels(fixed) == ["As mentee", "As mentor", "None"]
    ready = next(i for i in fixed["items"] if i["code"] == "ready")["options"]
    assert ready == [
        {"code": "yes", "label": "Yes"},
        {"code": "not_yet", "label": "Not yet", "roles": ["mentee"]},
        {"code": "year", "label": "2024"},
        {"code": "fine", "label": "Fine as it is"},
        {"code": "unlabelled", "label": "Unlabelled"},
    ]
    # an item or option the template does not have falls back too
    fixed, _n = migration.repair_definition(
        {"code": "x", "items": items}, {"prior_mentoring": {"as_mentee": "Yes, as a mentee"}}
    )
    assert _labels(fixed) == ["Yes, as a mentee", "As mentor", "None"]
    # the runtime fallback reads the same
    assert [definitions.label_text(o) for o in _old_options()] == ["As mentee", "As mentor", "None"]


def test_repair_leaves_good_and_odd_definitions_alone():
    good = definitions.shipped()["aimms-baseline"]
    assert migration.repair_definition(good, migration.shipped_labels()["aimms-baseline"]) == (
        good,
        0,
    )
    for odd in (None, [], {"items": None}, {"items": ["x", {"code": "y", "options": "z"}]}):
        assert migration.repair_definition(odd) == (odd, 0)


def test_which_template_a_questionnaire_came_from():
    shipped = migration.shipped_labels()
    assert migration.template_of("aimms-baseline", "aimms-baseline@1", shipped) == "aimms-baseline"
    # edits keep the source; a scheme's own questionnaire has none
    assert migration.template_of("aimms-baseline", "aimms-baseline@2", shipped) == "aimms-baseline"
    assert migration.template_of("aimms-month-6", "", shipped) == "aimms-month-6"
    assert migration.template_of("horizons-cohort-2", "", shipped) is None
    assert migration.template_of("own", "gone@1", shipped) is None


def test_the_migration_repairs_stored_definitions_and_not_answers(
    scheme_a, scheme_b, alice, charlie
):
    qs = es.install(scheme_a, alice)
    edited = services.save_definition(scheme_a, qs["aimms-month-6"].definition, actor=alice)
    own = services.save_definition(
        scheme_b,
        {**qs["aimms-month-6"].definition, "code": "cohort-2", "title": "Cohort 2"},
        actor=charlie,
    )
    assert (edited.source, own.source) == ("aimms-month-6@2", "")
    es.add(edited, [("mentee", {"prior_mentoring": ["as_mentee"], "improve": (None, "More")})])
    for q in (qs["aimms-month-6"], edited, own):
        _break(q)
    answers = sorted(Answer.objects.values_list("pk", "item", "value", "text"))
    untouched = qs["aimms-baseline"]  # nothing to repair
    before = Questionnaire.objects.get(pk=untouched.pk).definition

    migration.repair(apps, SimpleNamespace(connection=connection))

    for q in (qs["aimms-month-6"], edited):
        q.refresh_from_db()
        assert _labels(q.definition) == SHIPPED_PRIOR
        assert "as a mentee" not in _prior(q.definition)["options"][0]
    own.refresh_from_db()
    assert _labels(own.definition) == ["As mentee", "As mentor", "None"]
    assert Questionnaire.objects.get(pk=untouched.pk).definition == before
    assert sorted(Answer.objects.values_list("pk", "item", "value", "text")) == answers
    # nothing left to repair: a second run changes nothing
    stored = {q.pk: q.definition for q in Questionnaire.objects.all()}
    migration.repair(apps, SimpleNamespace(connection=connection))
    assert {q.pk: q.definition for q in Questionnaire.objects.all()} == stored
    for q in Questionnaire.objects.all():
        definitions.validate(q.definition)  # every stored definition is valid again


def test_the_migration_goes_back_as_a_no_op():
    op = migration.Migration.operations[0]
    assert op.reversible and op.reverse_code is migration.migrations.RunPython.noop


# -- pages and exports with a label that is not text ----------------------------------------------


@pytest.fixture
def broken(scheme_a, alice):
    qs = es.install(scheme_a, alice)
    for q in qs.values():
        _break(q)
    es.add(
        qs["aimms-month-6"],
        [
            ("mentee", {"prior_mentoring": ["as_mentee", "as_mentor"], "stars": 5}),
            ("mentee", {"prior_mentoring": ["none"], "stars": 4}),
        ],
    )
    es.add(qs["aimms-baseline"], [("mentor", {"prior_mentoring": ["as_mentor"]})])
    return qs


def test_csv_and_xlsx_exports_render_a_true_false_label_as_text(client, scheme_a, alice, broken):
    client.force_login(alice)
    base = f"/manage/{scheme_a.slug}/evaluation/export/"
    r = client.get(base + "csv/?q=aimms-month-6")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert sorted(row["prior_mentoring_label"] for row in rows) == [
        "As mentee; As mentor",
        "None",
    ]
    assert "True" not in r.content.decode() and "False" not in r.content.decode()
    r = client.get(base + "xlsx/?q=aimms-baseline")
    assert r.status_code == 200
    sheet = list(load_workbook(io.BytesIO(r.content))["Responses"].iter_rows(values_only=True))
    col = sheet[0].index("prior_mentoring_label")
    assert [row[col] for row in sheet[1:]] == ["As mentor"]
    for fmt in ("csv/", "xlsx/", "redcap-dictionary/", "redcap-data/"):
        assert client.get(base + fmt).status_code == 200, fmt
    dictionary = client.get(base + "redcap-dictionary/").content.decode()
    assert "as_mentee, As mentee | as_mentor, As mentor | none, None" in dictionary


def test_results_compare_form_and_import_render_it_as_text(client, scheme_a, alice, broken):
    client.force_login(alice)
    page = client.get(f"/manage/{scheme_a.slug}/evaluation/results/aimms-month-6/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<th scope="row">As mentee' in html and ">True<" not in html
    assert client.get(f"/manage/{scheme_a.slug}/evaluation/compare/").status_code == 200
    definition = broken["aimms-month-6"].definition
    item = _prior(definition)
    form = QuestionnaireForm([item], {"prior_mentoring": ["none", "as_mentee"]})
    assert [label for _c, label in form.fields["prior_mentoring"].choices] == [
        "As mentee",
        "As mentor",
        "None",
    ]
    assert not form.is_valid()
    assert "“None” cannot be combined" in str(form.errors)
    # the importer reads the label as the pages show it
    imported = importer.check(
        "prior_mentoring\nAs mentee; as_mentor\n",
        definition,
        {"prior_mentoring": "prior_mentoring"},
        "mentee",
    )
    assert imported.ok, imported.errors
    assert imported.rows[0].values["prior_mentoring"] == (["as_mentee", "as_mentor"], "")
    assert exports.union_items([definition])
