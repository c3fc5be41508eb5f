"""Raising a concern, following it up, and handling cases. Thin: forms in, services out."""

from __future__ import annotations

import json
from collections import Counter

from django.contrib import messages
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.accounts.models import User
from equimentor.core.access import public, signed_in
from equimentor.core.roles import Role
from equimentor.lib import disclosure
from equimentor.relationships.access import get_relationship_for_member
from equimentor.relationships.models import Relationship
from equimentor.safeguarding import access, forms, services
from equimentor.safeguarding.models import Case, CaseAccess, CaseEntry, ContactRoute, LeavingReason
from equimentor.schemes.models import Scheme
from equimentor.staff.access import scheme_staff

LEAD = Role.SAFEGUARDING
TOKEN_SALT = "safeguarding.follow-up"
TOKEN_SECONDS = 30 * 60


# -- raising and following up ---------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def raise_concern(request):
    """Raise a concern, named or anonymous, about a relationship or a person (two clicks away)."""
    form = forms.ConcernForm(request.user, request.POST or None)
    if not form.fields["scheme"].choices:
        return render(request, "safeguarding/raise_none.html")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        scheme = Scheme.objects.get(slug=d["scheme"])
        rel = None
        if d["relationship"]:
            rel = Relationship.objects.filter(
                pk=int(d["relationship"]),
                scheme=scheme,
                memberships__participant__user=request.user,
            ).first()
            if rel is None:
                form.add_error("relationship", "Choose one of your relationships in this scheme.")
        subject = None
        if d["person"]:
            subject = User.objects.filter(pk=int(d["person"].split(":", 1)[1])).first()
        if not form.errors:
            try:
                case, key = services.raise_concern(
                    request.user,
                    scheme,
                    services.Concern(
                        category=d["category"],
                        what_happened=d["what_happened"],
                        wants=d["wants"],
                        anonymous=d["anonymous"],
                        passphrase=d["passphrase"],
                        relationship=rel,
                        subject=subject,
                    ),
                )
            except services.SafeguardingError as exc:
                form.add_error(None, str(exc))
            else:
                routes = ContactRoute.objects.filter(scheme=scheme)
                if key:
                    return render(
                        request,
                        "safeguarding/raised_anonymous.html",
                        {"key": key, "routes": routes},
                    )
                messages.success(request, "Your concern has reached the safeguarding leads.")
                return redirect("safeguarding:my_concern", case.pk)
    return render(
        request,
        "safeguarding/raise.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@signed_in
def my_concerns(request):
    cases = Case.objects.filter(reporter=request.user, is_anonymous=False).select_related("scheme")
    return render(request, "safeguarding/my_concerns.html", {"cases": cases})


def _reporter_thread(case):
    return case.entries.filter(kind__in=CaseEntry.VISIBLE_TO_REPORTER)


@signed_in
@require_http_methods(["GET", "POST"])
def my_concern(request, pk: int):
    case = access.get_case_for_reporter(request.user, pk)
    form = forms.MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reporter_message(case, form.cleaned_data["body"])
        except services.SafeguardingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your message has been sent to the safeguarding leads.")
        return redirect("safeguarding:my_concern", case.pk)
    return render(
        request,
        "safeguarding/my_concern.html",
        {"case": case, "thread": _reporter_thread(case), "form": form},
    )


@public
@require_http_methods(["GET", "POST"])
def follow_up(request):
    """Follow up an anonymous concern with its key and passphrase. Nothing is kept in the session:
    the thread page carries a short-lived signed token instead."""
    form = forms.FollowUpForm(request.POST if "key" in request.POST else None)
    case = None
    reply = forms.MessageForm()
    token = request.POST.get("token", "")
    if token:
        try:
            case_id = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_SECONDS)["c"]
            case = Case.objects.get(pk=case_id, is_anonymous=True)
        except (signing.BadSignature, Case.DoesNotExist, KeyError, TypeError):
            messages.error(request, "Please enter your case key and passphrase again.")
            return redirect("safeguarding:follow_up")
        reply = forms.MessageForm(request.POST)
        if reply.is_valid():
            try:
                services.reporter_message(case, reply.cleaned_data["body"])
            except services.SafeguardingError as exc:
                reply.add_error(None, str(exc))  # shown with the message as written
            else:
                messages.success(request, "Your message has been sent to the safeguarding leads.")
                reply = forms.MessageForm()
    elif form.is_bound and form.is_valid():
        try:
            case = access.get_case_by_key(form.cleaned_data["key"], form.cleaned_data["passphrase"])
        except access.Throttled:
            return render(
                request,
                "safeguarding/follow_up.html",
                {"form": form, "throttled": True},
                status=429,
            )
        if case is None:
            form.add_error(None, "That case key and passphrase do not match a concern.")
    if case is None:
        return render(
            request,
            "safeguarding/follow_up.html",
            {"form": form},
            status=400 if form.errors else 200,
        )
    return render(
        request,
        "safeguarding/follow_up_thread.html",
        {
            "case": case,
            "thread": _reporter_thread(case),
            "form": reply,
            "token": signing.dumps({"c": case.pk}, salt=TOKEN_SALT),
        },
        status=400 if reply.errors else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def leave(request, slug: str, pk: int):
    """End a relationship without fault, with an optional confidential reason and never-again."""
    rel, member = get_relationship_for_member(request.user, slug, pk)
    form = forms.LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.leave_without_fault(
                rel,
                member,
                reason=form.cleaned_data["reason"],
                never_again=form.cleaned_data["never_again"],
                actor=request.user,
            )
        except services.SafeguardingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, "The relationship has ended. The others are told only that it has ended."
            )
            return redirect("relationships:home", slug)
    return render(
        request, "safeguarding/leave.html", {"rel": rel, "scheme": rel.scheme, "form": form}
    )


@scheme_staff(Role.COORDINATOR)
def leaving_reasons(request, slug: str):
    scheme = request.staff.scheme
    reasons = LeavingReason.objects.filter(relationship__scheme=scheme).select_related(
        "participant__user", "relationship"
    )
    return render(
        request, "safeguarding/leaving_reasons.html", {"scheme": scheme, "reasons": reasons}
    )


# -- case handling --------------------------------------------------------------------------------


@scheme_staff(LEAD)
def cases(request, slug: str):
    scheme = request.staff.scheme
    rows = list(access.cases_for_lead(request.staff, request.user))
    return render(
        request,
        "safeguarding/cases.html",
        {
            "scheme": scheme,
            "open_cases": [c for c in rows if c.status != Case.Status.CLOSED],
            "closed_cases": [c for c in rows if c.status == Case.Status.CLOSED],
            "overdue": sum(1 for c in rows if c.overdue),
        },
    )


@scheme_staff(LEAD)
def case(request, slug: str, pk: int):
    item = access.get_case_for_lead(request.staff, request.user, pk)
    return _case_page(request, request.staff.scheme, item)


def _relationship_label(rel) -> str:
    """'One-to-one with A and B (Active)': the relationship a case is about, for the lead."""
    if rel is None:
        return ""
    members = rel.memberships.select_related("participant__user").order_by(
        "participant__user__full_name"
    )
    names = [m.participant.user.full_name for m in members]
    return forms.relationship_label(rel, names, rel.get_state_display())


def _case_page(request, scheme, item, *, refused: tuple[str, object] | None = None):
    """The case page; ``refused`` = (its context name, the bound form), shown as typed with
    what is wrong (status 400)."""
    context = {
        "scheme": scheme,
        "case": item,
        "entries": item.entries.select_related("author"),
        "status_form": forms.StatusForm(item),
        "note_form": forms.NoteForm(auto_id="note_%s"),
        "message_form": forms.MessageForm(auto_id="message_%s"),
        "action_form": forms.ActionForm(scheme),
        "suspension": services.active_suspension(item),
        "refused_form": None,
        "relationship_label": _relationship_label(item.relationship),
    }
    if refused is not None:
        name, form = refused
        context[name] = context["refused_form"] = form
    return render(request, "safeguarding/case.html", context, status=400 if refused else 200)


@scheme_staff(LEAD)
@require_POST
def case_act(request, slug: str, pk: int):
    """Status, note, message or action on a case (the submit button says which)."""
    scheme = request.staff.scheme
    item = access.get_case_for_lead(request.staff, request.user, pk)
    if "status" in request.POST:
        name, form = "status_form", forms.StatusForm(item, request.POST)
    elif "note" in request.POST:
        name, form = "note_form", forms.NoteForm(request.POST, auto_id="note_%s")
    elif "message" in request.POST:
        name, form = "message_form", forms.MessageForm(request.POST, auto_id="message_%s")
    elif "action" in request.POST:
        name, form = "action_form", forms.ActionForm(scheme, request.POST)
    else:
        messages.error(request, "Please complete the form.")
        return redirect("safeguarding:case", slug, pk)
    if not form.is_valid():
        if name in ("note_form", "message_form"):  # the page again, as written, with what is wrong
            return _case_page(request, scheme, item, refused=(name, form))
        messages.error(request, "Please complete the form.")  # (choices only: nothing typed)
        return redirect("safeguarding:case", slug, pk)
    data = form.cleaned_data
    try:
        if name == "status_form":
            services.set_status(item, data["status"], actor=request.user)
            done = "Status changed."
        elif name == "note_form":
            services.add_note(item, data["body"], actor=request.user)
            done = "Note added."
        elif name == "message_form":
            services.message_reporter(item, data["body"], actor=request.user)
            done = "Message sent to the reporter."
        else:
            taken = services.take_action(
                item, data["action"], actor=request.user, route=data["route"]
            )
            done = f"{taken}."
    except services.SafeguardingError as exc:
        if name in ("note_form", "message_form"):  # keep what was written
            form.add_error(None, str(exc))
            return _case_page(request, scheme, item, refused=(name, form))
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("safeguarding:case", slug, pk)


@scheme_staff(LEAD)
def case_export(request, slug: str, pk: int):
    """The whole case as JSON (the export is recorded in the access log)."""
    item = access.get_case_for_lead(request.staff, request.user, pk, what=CaseAccess.What.EXPORT)
    data = {
        "case": item.pk,
        "scheme": item.scheme.slug,
        "category": item.category,
        "what_happened": item.what_happened,
        "wants": item.wants,
        "anonymous": item.is_anonymous,
        "reporter": None if item.is_anonymous or not item.reporter else item.reporter.full_name,
        "subject": item.subject.full_name if item.subject else None,
        "relationship": item.relationship_id,
        "status": item.status,
        "received_on": item.received_on.isoformat(),
        "acknowledged_at": item.acknowledged_at.isoformat() if item.acknowledged_at else None,
        "feedback_at": item.feedback_at.isoformat() if item.feedback_at else None,
        "closed_at": item.closed_at.isoformat() if item.closed_at else None,
        "entries": [
            {
                "kind": e.kind,
                "body": e.body,
                "at": e.at.isoformat(),
                "by": e.author.full_name if e.author else None,
            }
            for e in item.entries.select_related("author")
        ],
    }
    response = HttpResponse(json.dumps(data, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="case-{item.pk}.json"'
    return response


def quarter_of(day) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def trend_table(rows: list[Case], quarters: int = 8):
    """Counts by quarter and category, small numbers suppressed."""
    today = timezone.localdate()
    labels = []
    y, q = today.year, (today.month - 1) // 3 + 1
    for _ in range(quarters):
        labels.append(f"{y} Q{q}")
        y, q = (y - 1, 4) if q == 1 else (y, q - 1)
    labels.reverse()
    counts = Counter((quarter_of(c.received_on), c.category) for c in rows)
    cells = {
        (value, qt): counts.get((qt, value), 0) for value in Case.Category.values for qt in labels
    }
    # Quarter totals are published, so protect() also hides a second cell wherever a lone small
    # count could be worked out by subtracting the others from the total.
    shown = disclosure.protect(
        list(Case.Category.values),
        labels,
        cells,
        disclosure.Rules(threshold=disclosure.DEFAULT_THRESHOLD),
        row_totals=False,
        col_totals=True,
    )
    table = [
        (label, [shown.cell(value, qt) for qt in labels]) for value, label in Case.Category.choices
    ]
    totals = [shown.col_total(qt) for qt in labels]
    return labels, table, totals


@scheme_staff(LEAD)
def trends(request, slug: str):
    scheme = request.staff.scheme
    labels, table, totals = trend_table(
        list(access.cases_for_lead(request.staff, request.user).only("received_on", "category"))
    )
    return render(
        request,
        "safeguarding/trends.html",
        {
            "scheme": scheme,
            "labels": labels,
            "table": table,
            "totals": totals,
            "threshold": disclosure.DEFAULT_THRESHOLD,
        },
    )


@scheme_staff(LEAD, Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def routes(request, slug: str):
    """The scheme's own list of formal routes (HR, Title IX office, Freedom to Speak Up...)."""
    scheme = request.staff.scheme
    form = forms.RouteForm(request.POST or None)
    if request.method == "POST":
        if "delete" in request.POST:
            route = ContactRoute.objects.filter(scheme=scheme, pk=request.POST["delete"]).first()
            if route:
                services.delete_route(route, actor=request.user)
            return redirect("safeguarding:routes", slug)
        if form.is_valid():
            services.save_route(scheme, actor=request.user, **form.cleaned_data)
            messages.success(request, "Route saved.")
            return redirect("safeguarding:routes", slug)
    return render(
        request,
        "safeguarding/routes.html",
        {"scheme": scheme, "form": form, "routes": ContactRoute.objects.filter(scheme=scheme)},
        status=400 if form.errors else 200,
    )


@signed_in
def access_log(request):
    """Every view and export of every case. Superusers only."""
    rows = access.access_log_for(request.user)[:500]
    return render(request, "safeguarding/access_log.html", {"rows": rows})
