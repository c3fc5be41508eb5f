"""Evaluation pages: participants answer their own questionnaires; coordinators and evaluators
analyse, code, import and export. Views validate input and call services; access is decided in
``evaluation.access``."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.enrolment.models import Participant
from equimentor.evaluation import (
    access,
    analysis,
    charts,
    definitions,
    due,
    emails,
    exports,
    forms,
    importer,
    mapping,
    services,
)
from equimentor.evaluation import results as results_of
from equimentor.evaluation.models import (
    Answer,
    EvaluationSettings,
    Questionnaire,
    ResponseImport,
    Theme,
    ThemeTag,
    Wave,
)
from equimentor.lib import disclosure
from equimentor.schemes.access import staff_schemes
from equimentor.staff.access import scheme_staff

IMPORT_KEY = "evaluation_import"
SAVED = "__saved"  # in ResponseImport.matched: the saved mapping applied at upload


# -- participants ---------------------------------------------------------------------------------


@signed_in
def mine(request, slug):
    participant = get_own_participation(request.user, slug)
    invitations = participant.evaluation_invitations.select_related("questionnaire").order_by(
        "-sent_at"
    )
    return render(
        request,
        "evaluation/mine.html",
        {"scheme": participant.scheme, "invitations": invitations, "today": timezone.localdate()},
    )


@signed_in
@require_http_methods(["GET", "POST"])
def answer(request, slug, pk):
    inv = access.get_own_invitation(request.user, slug, pk)
    scheme = inv.questionnaire.scheme
    if not inv.is_open_on(timezone.localdate()):
        return render(request, "evaluation/closed.html", {"scheme": scheme, "inv": inv})
    items = definitions.items_for(inv.questionnaire.definition, inv.role)
    form = forms.QuestionnaireForm(items, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_response(inv, form.cleaned_answers)
        except services.EvaluationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Thank you. Your answers have been stored anonymously.")
        return redirect("evaluation:mine", scheme.slug)
    return render(
        request,
        "evaluation/answer.html",
        {
            "scheme": scheme,
            "inv": inv,
            "form": form,
            "intro": inv.questionnaire.definition.get("intro", ""),
        },
    )


# -- staff ----------------------------------------------------------------------------------------


@signed_in
def index(request):
    schemes = staff_schemes(request.user, *access.READERS)
    return render(request, "evaluation/index.html", {"schemes": schemes})


def _ctx(scheme, **extra):
    return {"scheme": scheme, "active": "evaluation", **extra}


ROLES = (("mentee", "Mentees"), ("mentor", "Mentors"))


def _rates(counts, code: str, k: int) -> list[tuple[str, str, str, str]]:
    """(role label, sent, answered, share answered) with small numbers withheld."""
    out = []
    for role, label in ROLES:
        c = counts.get((code, role), due.Sent(0, 0, 0))
        out.append(
            (
                label,
                disclosure.count(c.sent, k),
                disclosure.count(c.answered, k),
                disclosure.share(c.answered, c.sent, k),
            )
        )
    return out


@scheme_staff(*access.READERS)
def manage(request, slug):
    scheme = request.staff.scheme
    conf = EvaluationSettings.for_scheme(scheme)
    questionnaires = services.current_questionnaires(scheme)
    counts = due.invitation_counts(scheme, timezone.localdate())
    rows = [(q, _rates(counts, q.code, conf.k)) for q in questionnaires]
    return render(
        request,
        "evaluation/manage.html",
        _ctx(
            scheme,
            rows=rows,
            conf=conf,
            templates=definitions.shipped(),
            is_coordinator=request.staff.has(Role.COORDINATOR),
            is_analyst=access.sees_free_text(request.staff),
            is_coder=request.staff.has(*access.CODERS),
        ),
    )


@scheme_staff(Role.COORDINATOR)
@require_POST
def install(request, slug):
    scheme = request.staff.scheme
    made = services.install_shipped(scheme, actor=request.user, sending=False)
    n = len(made)
    messages.success(
        request,
        f"Added {n} questionnaire{'s' if n != 1 else ''}, on hold: nothing is sent until you "
        "check each one's schedule and preview and start sending it.",
    )
    return redirect("evaluation:manage", scheme.slug)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def settings_page(request, slug):
    scheme = request.staff.scheme
    conf = EvaluationSettings.for_scheme(scheme)
    form = forms.SettingsForm(request.POST or None, instance=conf)
    if request.method == "POST" and form.is_valid():
        services.save_settings(form.instance, actor=request.user)
        messages.success(request, "Evaluation settings saved.")
        return redirect("evaluation:manage", scheme.slug)
    return render(request, "evaluation/settings.html", _ctx(scheme, form=form))


SHOWN = 100  # people listed per part of a schedule (the rest are counted)


@scheme_staff(Role.COORDINATOR)
def schedule(request, slug, code):
    """Who the questionnaire goes to and when: everyone due now (sent at the next tick unless it
    is on hold, or at once with "Send now") and everyone due later, by name; what has been sent
    and answered only as counts (never who answered), small numbers withheld."""
    scheme = request.staff.scheme
    q = access.get_questionnaire(scheme, code)
    now = timezone.now()
    plan = due.schedule(q, now)
    conf = EvaluationSettings.for_scheme(scheme)
    counts = due.invitation_counts(scheme, timezone.localdate(now))
    still_open = sum(counts.get((q.code, role), due.Sent(0, 0, 0)).still_open for role, _ in ROLES)
    return render(
        request,
        "evaluation/schedule.html",
        _ctx(
            scheme,
            q=q,
            conf=conf,
            plan=plan,
            due_now=plan.due_now[:SHOWN],
            upcoming=plan.upcoming[:SHOWN],
            shown=SHOWN,
            rates=_rates(counts, q.code, conf.k),
            still_open=still_open,
            is_analyst=True,
        ),
    )


@scheme_staff(Role.COORDINATOR)
@require_POST
def hold(request, slug, code):
    q = access.get_questionnaire(request.staff.scheme, code)
    if services.hold(q, actor=request.user):
        messages.success(
            request, f"“{q.title}” is on hold: nothing more is sent, reminders included."
        )
    else:
        messages.info(request, f"“{q.title}” was already on hold.")
    return redirect("evaluation:schedule", slug, q.code)


@scheme_staff(Role.COORDINATOR)
@require_POST
def resume(request, slug, code):
    q = access.get_questionnaire(request.staff.scheme, code)
    if services.resume(q, actor=request.user):
        messages.success(
            request,
            f"“{q.title}” is being sent again: everyone due goes at the next scheduled run, "
            "or now with “Send now”.",
        )
    else:
        messages.info(request, f"“{q.title}” was already being sent.")
    return redirect("evaluation:schedule", slug, q.code)


@scheme_staff(Role.COORDINATOR)
@require_POST
def send_now(request, slug, code):
    """Invite everyone due now, in the background (the schedule page shows them go)."""
    q = access.get_questionnaire(request.staff.scheme, code)
    waiting = services.send_now(q, actor=request.user)
    if not waiting:
        messages.info(request, "Nobody is due this questionnaire now; nothing was sent.")
    else:
        messages.success(
            request,
            f"Sending “{q.title}” to {waiting} {'person' if waiting == 1 else 'people'} now.",
        )
    return redirect("evaluation:schedule", slug, q.code)


@scheme_staff(*access.ANALYSTS)
def preview(request, slug, code):
    """The questionnaire as a participant in each role sees it, and its two emails, addressed
    to the reader (nothing is sent or stored)."""
    scheme = request.staff.scheme
    q = access.get_questionnaire(scheme, code)
    role = request.GET.get("role", "mentee")
    if role not in dict(ROLES):
        raise Http404("No such role.")
    conf = EvaluationSettings.for_scheme(scheme)
    items = definitions.items_for(q.definition, role)
    reader = Participant(user=request.user, scheme=scheme)
    closes_on = timezone.localdate() + timedelta(days=conf.open_days)
    return render(
        request,
        "evaluation/preview.html",
        _ctx(
            scheme,
            q=q,
            role=role,
            roles=ROLES,
            form=forms.QuestionnaireForm(items),
            intro=q.definition.get("intro", ""),
            emails=emails.preview(q, reader, role, closes_on),
            is_coordinator=request.staff.has(Role.COORDINATOR),
            is_analyst=True,
        ),
    )


@scheme_staff(*access.ANALYSTS)
@require_http_methods(["GET", "POST"])
def edit(request, slug, code=None):
    scheme = request.staff.scheme
    q = access.get_questionnaire(scheme, code) if code else None
    start = (
        definitions.dump(q.definition)
        if q
        else definitions.dump(
            {
                "code": "my-questionnaire",
                "title": "My questionnaire",
                "wave": "month_6",
                "items": [{"code": "helpful", "type": "agree5", "text": "The scheme was helpful."}],
            }
        )
    )
    form = forms.DefinitionForm(request.POST or None, initial={"definition": start})
    if request.method == "POST" and form.is_valid():
        definition = form.cleaned_data["definition"]
        if q and definition["code"] != q.code:
            form.add_error("definition", "A questionnaire keeps its code.")
        elif (
            not q and Questionnaire.objects.filter(scheme=scheme, code=definition["code"]).exists()
        ):
            form.add_error("definition", "That code is taken; edit that questionnaire instead.")
        else:
            try:
                # a new questionnaire starts on hold; a new version is sent as the last one was
                saved = services.save_definition(
                    scheme, definition, actor=request.user, is_active=None if q else False
                )
            except services.EvaluationError as exc:
                form.add_error("definition", str(exc))
            else:
                messages.success(request, f"Saved as version {saved.version}.")
                return redirect("evaluation:manage", scheme.slug)
    return render(request, "evaluation/edit.html", _ctx(scheme, form=form, q=q))


def _results(request, scheme, code):
    """The questionnaire, its settings, and its results as the page shows them (with the
    page's filter, if any): ``(q, conf, resps, filter_item, filter_value, filters, grouped,
    blocks)``. The page and its CSV/XLSX export both read them in ``evaluation.results``."""
    r = results_of.results(
        scheme, code, request.GET.get("filter") or None, request.GET.get("value") or None
    )
    return r.q, r.conf, r.resps, r.filter_item, r.filter_value, r.filters, r.grouped, r.blocks


@scheme_staff(*access.READERS)
def results(request, slug, code):
    scheme = request.staff.scheme
    q, conf, resps, filter_item, filter_value, filters, grouped, blocks = _results(
        request, scheme, code
    )
    free_text = access.sees_free_text(request.staff)
    for block in blocks:
        block["chart"] = charts.for_block(block)
    query = urlencode({"filter": filter_item, "value": filter_value or ""}) if filter_item else ""
    return render(
        request,
        "evaluation/results.html",
        _ctx(
            scheme,
            q=q,
            conf=conf,
            grouped=grouped,
            blocks=blocks,
            stars=analysis.star_means(resps, conf.k)
            if any(i["code"] == "stars" for i in q.items)
            else None,
            filters=filters,
            filter_item=filter_item,
            filter_value=filter_value,
            free_text=free_text,
            is_coder=request.staff.has(*access.CODERS),
            export_query=query,
        ),
    )


@scheme_staff(*access.READERS)
def results_export(request, slug, code, fmt):
    """The results page's tables as a CSV or XLSX file, withheld figures withheld as on the
    page (the same ``analysis.results``); aggregated, so its readers are the page's."""
    scheme = request.staff.scheme
    if fmt not in results_of.FORMATS:
        raise Http404("No such format.")
    r = results_of.results(
        scheme, code, request.GET.get("filter") or None, request.GET.get("value") or None
    )
    services.record_export(r.q, actor=request.user, scheme=scheme, fmt=f"results-{fmt}")
    content, content_type, name = results_of.results_file(r, scheme, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@scheme_staff(*access.READERS)
def compare(request, slug):
    scheme = request.staff.scheme
    conf = EvaluationSettings.for_scheme(scheme)
    qs = services.current_questionnaires(scheme)
    base = [q for q in qs if q.wave == Wave.BASELINE]
    follow = [q for q in qs if q.wave == Wave.MONTH_6]
    follow_codes = {i["code"] for q in follow for i in q.items}
    items = [
        i
        for i in exports.union_items([q.definition for q in base])
        if i["code"] in follow_codes and i["type"] != "text"
    ]
    rows = analysis.compare(
        analysis.load(scheme, wave=Wave.BASELINE),
        analysis.load(scheme, wave=Wave.MONTH_6),
        items,
        conf.k,
    )
    return render(request, "evaluation/compare.html", _ctx(scheme, rows=rows, conf=conf))


def _free_text_item(scheme, code: str, item: str):
    q = access.get_questionnaire(scheme, code)
    target = next(
        (i for i in q.items if i["code"] == item and (i["type"] == "text" or i.get("other"))), None
    )
    if target is None:
        raise Http404("No such free-text question.")
    return q, target


@scheme_staff(*access.ANALYSTS)
def coding(request, slug, code, item):
    """Themes and quotes of one free-text question; its evaluators code answers (``code_answers``)."""
    scheme = request.staff.scheme
    q, target = _free_text_item(scheme, code, item)
    return _coding_page(request, scheme, q, target, forms.ThemeForm())


@scheme_staff(*access.CODERS)
@require_POST
def code_answers(request, slug, code, item):
    """Add a theme, or tag an answer with themes (the scheme's evaluators only)."""
    scheme = request.staff.scheme
    q, target = _free_text_item(scheme, code, item)
    if request.POST.get("action") == "theme":
        form = forms.ThemeForm(request.POST)
        if not form.is_valid():
            return _coding_page(request, scheme, q, target, form)
        try:
            services.add_theme(
                scheme,
                item,
                form.cleaned_data["label"],
                form.cleaned_data["description"],
                actor=request.user,
            )
        except services.EvaluationError as exc:
            messages.error(request, str(exc))
        return redirect("evaluation:coding", scheme.slug, code, item)
    ans = Answer.objects.filter(
        pk=request.POST.get("answer"),
        response__questionnaire__scheme=scheme,
        response__questionnaire__code=code,
    ).first()
    if ans is None:
        raise Http404("No such answer.")
    themes = list(
        Theme.objects.filter(scheme=scheme, item=item, pk__in=request.POST.getlist("themes"))
    )
    services.tag_answer(ans, themes, actor=request.user, scheme=scheme)
    messages.success(request, "Themes saved.")
    return redirect("evaluation:coding", scheme.slug, code, item)


def _coding_page(request, scheme, q, target, form):
    code, item = q.code, target["code"]
    conf = EvaluationSettings.for_scheme(scheme)
    may_code = request.staff.has(*access.CODERS)
    resps = analysis.load(scheme, code)
    texts = analysis.text_answers(resps, item)
    themes = list(Theme.objects.filter(scheme=scheme, item=item))
    tags: dict = {}
    tagged_by_answer: dict = {}
    # a theme is the scheme's, shared by every questionnaire asking this item: only the tags on
    # this questionnaire's answers count here (``theme_table`` also ignores any other)
    tag_rows = ThemeTag.objects.filter(
        theme__in=themes,
        answer__response__questionnaire__scheme=scheme,
        answer__response__questionnaire__code=code,
    ).values_list("theme_id", "answer_id")
    for t in tag_rows:
        tags.setdefault(t[0], []).append(t[1])
        tagged_by_answer.setdefault(t[1], set()).add(t[0])
    answers_by_id = {aid: (role, text) for role, text, aid in texts}
    enough = len(texts) >= conf.k_text
    table, roles_n = analysis.theme_table(themes, tags, answers_by_id, conf.k, conf.k_text)
    to_code = [
        {"id": aid, "text": text, "themes": tagged_by_answer.get(aid, set())}
        for _role, text, aid in sorted(texts, key=lambda t: str(t[2]))
    ]
    return render(
        request,
        "evaluation/coding.html",
        _ctx(
            scheme,
            q=q,
            item=target,
            themes=themes,
            table=table,
            to_code=to_code if enough else [],
            enough=enough,
            conf=conf,
            form=form,
            may_code=may_code,
            total=len(texts),
        ),
        status=400 if form.errors else 200,
    )


# -- import and export ----------------------------------------------------------------------------


def _import_plan(stash, q):
    """The stashed file set against the questionnaire, as mapped so far: each column as it was
    matched at upload unless the evaluator has since chosen otherwise."""
    headers, rows = importer.read(stash.text)
    plan = mapping.plan(
        headers, rows, q.definition, stash.mapping, stash.values, match=False, values_how="chosen"
    )
    for c in plan.columns:
        first = stash.matched.get(c.key) or {}
        if c.target and c.target == first.get("target"):
            c.how, c.confidence = first.get("how", ""), first.get("confidence")
        elif c.target:
            c.how = "chosen"
        else:
            c.how = ""
            c.nearest, c.nearest_score = first.get("nearest", ""), first.get("nearest_score", 0)
    saved = (stash.matched.get(SAVED) or {}).get("values", {})
    for i, (_item, values) in plan.values.items():
        for v in values:
            if v.how == "chosen" and saved.get(plan.columns[i].target, {}).get(v.raw) == v.target:
                v.how = "saved"
    return plan


@scheme_staff(*access.ANALYSTS)
@require_http_methods(["GET", "POST"])
def import_page(request, slug):
    """Upload a CSV of responses; its columns are matched to the questionnaire's questions by
    wording and its answers to their options; the evaluator maps or ignores what is left,
    sees a dry run and imports. Refused while a column or an answer is unmapped. The file waits
    in a ``ResponseImport`` row between steps; the session holds only its id."""
    scheme = request.staff.scheme
    questionnaires = services.current_questionnaires(scheme)
    stash = ResponseImport.objects.filter(
        scheme=scheme, created_by=request.user, pk=request.session.get(IMPORT_KEY)
    ).first()
    step = request.POST.get("step", "")
    if request.method == "POST" and step == "cancel":
        if stash is not None:
            stash.delete()
        request.session.pop(IMPORT_KEY, None)
        return redirect("evaluation:import", scheme.slug)
    if request.method == "POST" and step == "upload" or stash is None:
        saved_mappings = list(access.import_mappings(scheme))
        upload = forms.UploadForm(
            questionnaires,
            request.POST or None,
            request.FILES or None,
            mappings=saved_mappings,
        )
        if request.method == "POST" and step == "upload" and upload.is_valid():
            q = access.get_questionnaire(scheme, upload.cleaned_data["questionnaire"])
            headers, rows = importer.read(upload.cleaned_data["file"])
            saved = upload.saved_mapping()
            plan = mapping.plan(
                headers,
                rows,
                q.definition,
                saved.columns if saved else None,
                saved.values if saved else None,
            )
            role = upload.cleaned_data["role"]
            if saved and not role and importer.ROLE not in plan.mapping().values():
                role = saved.role
            if stash is not None:
                stash.delete()
            stash = ResponseImport.objects.create(
                scheme=scheme,
                created_by=request.user,
                code=q.code,
                text=upload.cleaned_data["file"],
                role=role,
                mapping=plan.mapping(),
                values=saved.values if saved else {},
                matched={
                    c.key: {
                        "target": c.target,
                        "how": c.how,
                        "confidence": c.confidence,
                        "nearest": c.nearest,
                        "nearest_score": c.nearest_score,
                    }
                    for c in plan.columns
                }
                | (
                    {SAVED: {"id": saved.pk, "label": saved.name, "values": saved.values}}
                    if saved
                    else {}
                ),
            )
            request.session[IMPORT_KEY] = stash.pk
            return redirect("evaluation:import", scheme.slug)
        return render(
            request,
            "evaluation/import.html",
            _ctx(scheme, upload=upload, saved_mappings=saved_mappings),
            status=400 if upload.errors else 200,
        )
    q = access.get_questionnaire(scheme, stash.code)
    targets = importer.targets(q.definition)
    plan = _import_plan(stash, q)
    save_as = (stash.matched.get(SAVED) or {}).get("label") or f"{q.title}: survey export"
    mapping_form = forms.MappingForm(plan, targets, request.POST or None, save_as=save_as)
    if request.method == "POST":
        if not mapping_form.is_valid():
            return _import_render(request, scheme, q, stash, plan, mapping_form, None, status=400)
        columns = mapping_form.columns()
        if step == "ignore-unmapped":  # the columns listed as not mapped, ignored at once
            columns = {k: t or mapping.IGNORE for k, t in columns.items()}
        changed = columns != stash.mapping
        values = {f: v for f, v in stash.values.items() if f in columns.values()}
        values.update(mapping_form.values())
        stash.mapping, stash.values = columns, values
        stash.save(update_fields=["mapping", "values"])
        plan = _import_plan(stash, q)
        if changed and step == "import":
            messages.error(
                request,
                "Nothing was imported: you changed which question a column holds. Check its "
                "answers below, then import.",
            )
            step = "preview"
    check = importer.check(stash.text, q.definition, stash.mapping, stash.role, stash.values)
    if step == "import" and check.ok:
        with transaction.atomic():
            count = services.import_responses(q, check.rows, actor=request.user)
            save_as = mapping_form.cleaned_data.get("save_as", "")
            if save_as:
                saved = services.save_import_mapping(
                    scheme,
                    q.code,
                    save_as,
                    columns=stash.mapping,
                    values=plan.chosen_values(),
                    role=stash.role,
                    actor=request.user,
                )
                messages.info(request, f"Mapping saved as “{saved.name}” for the next file.")
        stash.delete()
        request.session.pop(IMPORT_KEY, None)
        messages.success(request, f"Imported {count} responses.")
        return redirect("evaluation:results", scheme.slug, q.code)
    if step == "import":
        messages.error(request, "Nothing was imported: map or fix what is listed first.")
    fresh = forms.MappingForm(
        plan,
        targets,
        save_as=mapping_form.cleaned_data.get("save_as", save_as)
        if mapping_form.is_bound
        else save_as,
    )
    return _import_render(request, scheme, q, stash, plan, fresh, check, status=200)


def _import_render(request, scheme, q, stash, plan, mapping_form, check, *, status):
    return render(
        request,
        "evaluation/import.html",
        _ctx(
            scheme,
            q=q,
            plan=plan,
            mapping_form=mapping_form,
            layout=mapping_form.bound_layout(),
            stash_saved=(stash.matched.get(SAVED) or {}).get("label", ""),
            check=check,
            preview=check.rows[:10] if check else [],
        ),
        status=status,
    )


@scheme_staff(*access.ANALYSTS)
def import_mapping_file(request, slug, pk):
    """A saved mapping as the ``import_responses`` command's mapping file (YAML)."""
    saved = access.get_import_mapping(request.staff.scheme, pk)
    body = importer.mapping_file(saved.code, saved.columns, saved.values, saved.role)
    response = HttpResponse(body, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{saved.code}-mapping-{saved.pk}.yaml"'
    return response


@scheme_staff(*access.ANALYSTS)
@require_POST
def delete_import_mapping(request, slug, pk):
    saved = access.get_import_mapping(request.staff.scheme, pk)
    services.delete_import_mapping(saved, actor=request.user)
    messages.success(request, f"Mapping “{saved.name}” deleted.")
    return redirect("evaluation:import", slug)


@scheme_staff(*access.ANALYSTS)
def export(request, slug, fmt):
    scheme = request.staff.scheme
    code = request.GET.get("q")
    qs = services.current_questionnaires(scheme)
    if code:
        qs = [q for q in qs if q.code == code]
        if not qs:
            raise Http404("No such questionnaire.")
    items = exports.union_items([q.definition for q in qs])
    resps = [r for q in qs for r in analysis.load(scheme, q.code)]
    services.record_export(scheme, actor=request.user, scheme=scheme, fmt=fmt)
    name = f"{scheme.slug}-{code or 'evaluation'}"
    if fmt == "csv":
        body, ctype, fname = exports.to_csv(items, resps), "text/csv", f"{name}.csv"
    elif fmt == "xlsx":
        body = exports.to_xlsx(items, resps)
        ctype, fname = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{name}.xlsx",
        )
    elif fmt == "redcap-dictionary":
        body, ctype, fname = (
            exports.redcap_dictionary(items),
            "text/csv",
            f"{name}-redcap-dictionary.csv",
        )
    elif fmt == "redcap-data":
        body, ctype, fname = (
            exports.redcap_data(items, resps),
            "text/csv",
            f"{name}-redcap-data.csv",
        )
    else:
        raise Http404("No such format.")
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{fname}"'
    return response
