"""Reports: the coordinator's dashboard, the committee view, exports and the API.

Every figure shown, exported or returned has been through ``lib.disclosure.protect``; no view
here lists or links to an individual record.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Min
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from equimentor.core import audit
from equimentor.core.roles import Role
from equimentor.enrolment.models import ExpressionOfInterest, Participant
from equimentor.reports import cache, charts, exports
from equimentor.reports.labels import clean_by, dimensions
from equimentor.reports.matching_equity import matching_equity
from equimentor.reports.models import Benchmark, ReportSettings
from equimentor.reports.outcomes import questionnaire_outcomes
from equimentor.reports.queries import Scope
from equimentor.reports.sections import full_report
from equimentor.reports.training import training_reports
from equimentor.schemes.dimensions import DIMENSIONS
from equimentor.staff.access import scheme_staff


class _Selection:
    """What a reports request asks for, resolved: the scheme and the reader's institutions (as
    ``scheme_staff`` resolved them: the whole scheme for its coordinators and superusers, a
    committee member's institutions where their role is limited to some), the breakdown, the
    disclosure rules, the questionnaire outcomes (``oq``: questionnaire code, ``og1``/``og2``:
    items), and the key its sections are kept under at the scheme's data version now."""

    def __init__(self, request):
        self.scheme, self.institutions = request.staff.scheme, request.staff.institutions
        self.by = clean_by(self.scheme, [request.GET.get(f"by{i}", "") for i in (1, 2, 3)])
        self.rules, version = cache.rules_and_version(self.scheme)
        self.code = request.GET.get("oq", "")
        self.items = [request.GET.get(f"og{i}", "") for i in (1, 2)]
        self.key = cache.key_for(
            self.scheme, self.institutions, self.by, self.rules, (self.code, *self.items), version
        )

    def sections(self):
        """(reports, questionnaire outcomes): computed once per data version of the scheme and
        kept (``reports.cache``)."""

        def compute():
            scope = Scope(self.scheme, self.institutions)
            reports = (
                full_report(scope, self.by, self.rules)
                + matching_equity(scope, self.by, self.rules)
                + training_reports(scope, self.by, self.rules)
            )
            outcomes = questionnaire_outcomes(
                self.scheme, self.rules, self.code, self.items, institutions=self.institutions
            )
            return reports, outcomes

        return cache.sections(self.key, compute)


def _build(request):
    """The reports a request asks for (see ``_Selection``)."""
    sel = _Selection(request)
    reports, outcomes = sel.sections()
    return sel.scheme, sel.institutions, sel.by, sel.rules, reports, outcomes


def _sections_html(sel: _Selection) -> str:
    """The page's report sections — breakdown form, tables with their charts, questionnaire
    outcomes — as HTML, rendered once per kept sections and kept with them. Made from the kept
    sections and the scheme's breakdowns alone (no request, no reader: the dashboard and the
    committee page show the same), so a page viewed again renders only its frame."""
    dims = dimensions(sel.scheme)

    def render_sections() -> str:
        reports, outcomes = sel.sections()
        by = sel.by
        return render_to_string(
            "reports/_sections.html",
            {
                "reports": reports,
                "charted": _charted(reports),
                "by": by,
                "dims": dims,
                "rules": sel.rules,
                "slots": [(i, by[i - 1] if len(by) >= i else "") for i in (1, 2, 3)],
                **_outcome_context(outcomes, by),
            },
        )

    return cache.fragment(
        sel.key, f"reports/_sections.html {sorted(dims.items())}", render_sections
    )


def _outcome_context(outcomes, by) -> dict:
    return {
        "outcomes": outcomes,
        "outcome_slots": [(i, outcomes.by[i - 1] if len(outcomes.by) >= i else "") for i in (1, 2)],
        "by_hidden": [(f"by{i}", code) for i, code in enumerate(by, start=1)],
        "outcome_hidden": [("oq", outcomes.code)]
        + [(f"og{i}", code) for i, code in enumerate(outcomes.by, start=1)],
    }


def _charted(reports) -> list:
    """Each report with its chart (or None), drawn beside its table."""
    return [(rep, charts.for_report(rep)) for rep in reports]


@scheme_staff(Role.COORDINATOR)
def dashboard(request, slug):
    """The coordinator's reports with charts (each with its data table)."""
    sel = _Selection(request)
    return render(
        request,
        "reports/dashboard.html",
        {"scheme": sel.scheme, "sections": _sections_html(sel)},
    )


@scheme_staff(Role.COORDINATOR, Role.COMMITTEE)
def committee(request, slug):
    """Aggregates only, limited to the reader's institutions where set."""
    sel = _Selection(request)
    return render(
        request,
        "reports/committee.html",
        {
            "scheme": sel.scheme,
            "institutions": sel.institutions,
            "sections": _sections_html(sel),
            "query": request.GET.urlencode(),
        },
    )


@scheme_staff(Role.COORDINATOR, Role.COMMITTEE)
def export(request, slug, fmt):
    """The committee tables as PDF (meeting pack), CSV or XLSX, with the questionnaire
    outcomes."""
    scheme, institutions, by, rules, reports, outcomes = _build(request)
    reports = reports + outcomes.reports
    name = f"{scheme.slug}-report"
    legend = rules.legend
    if fmt == "csv":
        resp = HttpResponse(exports.to_csv(reports, legend), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        resp = HttpResponse(
            exports.to_xlsx(reports, legend),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "pdf":
        where = f" — {', '.join(i.name for i in institutions)}" if institutions else ""
        resp = HttpResponse(
            exports.to_pdf(
                f"{scheme.name}: committee report{where}",
                legend,
                reports,
                facts=_pack_facts(scheme, by),
            ),
            content_type="application/pdf",
        )
    else:
        raise Http404
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


def _pack_facts(scheme, by: list[str]) -> list[str]:
    """What a meeting pack says on its first page: when it was produced (in the reader's time
    zone), the period its figures cover, how they are grouped, and whom to ask."""
    now = timezone.localtime()
    first = ExpressionOfInterest.objects.filter(scheme=scheme).aggregate(at=Min("created_at"))["at"]
    registered = Participant.objects.filter(scheme=scheme).aggregate(at=Min("registered_at"))["at"]
    start = min((d for d in (first, registered) if d), default=None)
    facts = [f"Produced {date_format(now, 'j F Y, H:i')} ({now.tzname()})."]
    if start:
        since = date_format(timezone.localtime(start), "j F Y")
        facts.append(f"Covers everything recorded from {since} to {date_format(now, 'j F Y')}.")
    else:
        facts.append("Nothing has been recorded yet.")
    if by:
        facts.append("Grouped by " + ", ".join(DIMENSIONS[d].label.lower() for d in by) + ".")
    if scheme.contact_email:
        facts.append(f"Questions about this report: {scheme.contact_email}.")
    return facts


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ReportSettings
        fields = ["threshold", "min_values", "round_to_five"]


class BenchmarkForm(forms.Form):
    label = forms.CharField(max_length=200, label="Label")
    dimension1 = forms.ChoiceField(
        label="Dimension", choices=[(c, d.label) for c, d in DIMENSIONS.items()]
    )
    value1 = forms.CharField(
        max_length=40,
        label="Answer",
        help_text="The answer's code, for example woman (gender) or asian (ethnicity).",
    )
    dimension2 = forms.ChoiceField(
        label="Second dimension (optional)",
        required=False,
        choices=[("", "—")] + [(c, d.label) for c, d in DIMENSIONS.items()],
    )
    value2 = forms.CharField(max_length=40, required=False, label="Second answer")
    expected_percent = forms.DecimalField(
        label="Expected share (%)", min_value=0, max_value=100, decimal_places=2
    )
    source = forms.CharField(max_length=300, required=False, label="Source (optional)")

    def clean(self):
        """Each answer must be one of its dimension's codes, or the benchmark matches nobody."""
        data = super().clean()
        dim1, dim2 = data.get("dimension1"), data.get("dimension2")
        if dim2 and dim2 == dim1:
            self.add_error("dimension2", "Choose a different dimension from the first.")
        if dim2 and not data.get("value2"):
            self.add_error("value2", "Give the answer for the second dimension.")
        if data.get("value2") and not dim2:
            self.add_error("dimension2", "Choose the dimension this answer belongs to.")
        for dim, field in ((dim1, "value1"), (dim2, "value2")):
            value = (data.get(field) or "").strip()
            if not (dim and value and field not in self.errors):
                continue
            codes = [code for code, _ in DIMENSIONS[dim].options]
            if value not in codes:
                self.add_error(
                    field,
                    f"“{value}” is not an answer to {DIMENSIONS[dim].label}. "
                    f"Use one of: {', '.join(codes)}.",
                )
            else:
                data[field] = value
        return data


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def settings_view(request, slug):
    """Disclosure settings (within safe bounds) and representation benchmarks."""
    scheme = request.staff.scheme
    conf = ReportSettings.objects.filter(scheme=scheme).first() or ReportSettings(scheme=scheme)
    form = SettingsForm(request.POST if "save_settings" in request.POST else None, instance=conf)
    bform = BenchmarkForm(request.POST if "add_benchmark" in request.POST else None)
    if request.method == "POST":
        if "save_settings" in request.POST and form.is_valid():
            form.save()
            audit.record(
                "reports.settings_changed",
                conf,
                actor=request.user,
                scheme=scheme,
                threshold=conf.threshold,
                min_values=conf.min_values,
                round_to_five=conf.round_to_five,
            )
            messages.success(request, "Report settings saved.")
            return redirect("reports:settings", scheme.slug)
        if "add_benchmark" in request.POST and bform.is_valid():
            d = bform.cleaned_data
            groups = {d["dimension1"]: d["value1"]}
            if d["dimension2"]:
                groups[d["dimension2"]] = d["value2"]
            b = Benchmark.objects.create(
                scheme=scheme,
                label=d["label"],
                groups=groups,
                expected_percent=d["expected_percent"],
                source=d["source"],
            )
            audit.record("reports.benchmark_added", b, actor=request.user, scheme=scheme)
            messages.success(request, "Benchmark added.")
            return redirect("reports:settings", scheme.slug)
    return render(
        request,
        "reports/settings.html",
        {
            "scheme": scheme,
            "form": form,
            "bform": bform,
            "benchmarks": Benchmark.objects.filter(scheme=scheme),
        },
        status=400 if request.method == "POST" else 200,
    )


@scheme_staff(Role.COORDINATOR, Role.COMMITTEE)
class ReportAPI(APIView):
    """The committee tables as JSON, suppressed exactly as on the page."""

    @extend_schema(
        parameters=[
            OpenApiParameter("by", str, many=True, description="Up to three dimensions."),
            OpenApiParameter(
                "oq", str, description="Questionnaire code for the outcomes table (a default)."
            ),
            OpenApiParameter("og1", str, description="Group outcomes by this questionnaire item."),
            OpenApiParameter("og2", str, description="… and by this one too."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request, slug):
        scheme, institutions, by, rules, reports, outcomes = _build(request)
        reports = reports + outcomes.reports
        return Response(
            {
                "scheme": scheme.slug,
                "institutions": [i.name for i in institutions],
                "rules": {
                    "threshold": rules.threshold,
                    "min_values": rules.min_values,
                    "round_to": rules.round_to,
                },
                "by": by,
                "tables": [
                    {"title": r.title, "columns": r.columns, "rows": r.rows, "notes": r.notes}
                    for r in reports
                ],
            }
        )
