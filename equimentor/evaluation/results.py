"""A questionnaire's results as the results page shows them, and as its CSV / XLSX export: one
place for both the page and the API (figures withheld exactly as on the page, by
``analysis.results``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from equimentor.evaluation import access, analysis, definitions, exports
from equimentor.evaluation.models import EvaluationSettings, Questionnaire

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def filters(definition) -> list[dict]:
    """The filter items, their option labels as text (see ``definitions.label_text``)."""
    return [
        {**i, "options": [{**o, "label": definitions.label_text(o)} for o in i.get("options", [])]}
        for i in definition["items"]
        if i.get("filter")
    ]


class NoSuchFilter(Http404):
    """A filter item the questionnaire does not have (the page: not found; the API: a 400)."""


@dataclass
class Results:
    q: Questionnaire
    conf: EvaluationSettings
    resps: list
    filter_item: str | None
    filter_value: str | None
    filters: list[dict]
    grouped: object
    blocks: list[dict]


def results(scheme, code: str, filter_item: str | None, filter_value: str | None) -> Results:
    """The questionnaire ``code`` of ``scheme`` and its results, optionally filtered by one
    filter item's answer (an item that is not a filter: not found)."""
    q = access.get_questionnaire(scheme, code)
    conf = EvaluationSettings.for_scheme(scheme)
    resps = analysis.load(scheme, code)
    items = filters(q.definition)
    if filter_item and filter_item not in {i["code"] for i in items}:
        raise NoSuchFilter("No such filter.")
    grouped, blocks = analysis.results(q.definition, resps, conf.k, filter_item, filter_value)
    return Results(q, conf, resps, filter_item, filter_value, items, grouped, blocks)


def results_file(r: Results, scheme, fmt: str) -> tuple[bytes | str, str, str]:
    """The results' tables as a file: ``(content, content type, file name)``."""
    if fmt not in FORMATS:
        raise Http404("No such format.")
    name = f"{scheme.slug}-{r.q.code}-results"
    if r.filter_item:
        name += f"-{slugify(r.filter_item)}-{slugify(r.filter_value or 'none')}"
    if fmt == "csv":
        return exports.results_csv(r.blocks), FORMATS[fmt], f"{name}.csv"
    item = next((f for f in r.filters if f["code"] == r.filter_item), None)
    answer = (
        next((o["label"] for o in item["options"] if o["code"] == r.filter_value), r.filter_value)
        if item
        else ""
    )
    about = [
        ("Questionnaire", f"{r.q.title} (version {r.q.version})"),
        ("Scheme", scheme.name),
        ("Produced", timezone.localtime().strftime("%Y-%m-%d %H:%M %Z")),
        ("Filter", f"{item['text']}: {answer or 'no answer'}" if item else "None: every response"),
        (
            "Withheld",
            f"A role's figures are shown only with {r.conf.k} or more responses (and answers); "
            "filtered views withhold further groups so that comparing views reveals no small "
            "group. “–” is a withheld figure, “N/A” a question or answer not put to that role.",
        ),
    ]
    return exports.results_xlsx(r.blocks, about), FORMATS[fmt], f"{name}.xlsx"
