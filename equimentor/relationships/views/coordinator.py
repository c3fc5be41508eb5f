"""The coordinator's pages: the relationship list and CSV export, creating groups, networks and
peer circles, one relationship, pausing/closing, flags and settings. Never private notes."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.params import is_id
from equimentor.lib.cells import csv_writer
from equimentor.relationships import access, forms, services
from equimentor.relationships.models import Flag, Relationship, RelationshipSettings
from equimentor.relationships.queries import coordinator_rows
from equimentor.relationships.views.common import COORDINATOR, State, show_error
from equimentor.staff.access import scheme_staff

# -- coordinator pages -------------------------------------------------------------------------------


def _since(when) -> str:
    if when is None:
        return "never"
    days = (timezone.now() - when).days
    if days < 1:
        return "today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{days // 7} weeks"


@scheme_staff(COORDINATOR)
def manage_list(request, slug: str):
    scheme = request.staff.scheme
    rows = list(coordinator_rows(scheme, request.GET)[:500])
    for rel in rows:
        rel.since_met = _since(rel.last_met_at)
    mentor_flags = Flag.objects.filter(
        scheme=scheme, resolved_at__isnull=True, relationship__isnull=True
    ).select_related("participant__user", "proposal")
    return render(
        request,
        "relationships/manage_list.html",
        {
            "scheme": scheme,
            "rows": rows,
            "states": State.choices,
            "kinds": Relationship.Kind.choices,
            "filters": request.GET,
            "mentor_flags": mentor_flags,
            "active": "relationships",
        },
    )


CSV_COLUMNS = [
    "relationship_id",
    "kind",
    "state",
    "started",
    "end_date",
    "original_end_date",
    "paused_days",
    "extended_times",
    "closed",
    "close_reason",
    "mentors",
    "mentees",
    "peers",
    "meetings_held",
    "last_meeting",
    "last_activity",
    "open_flags",
    "goals",
    "goals_achieved",
    "sponsorship_acts",
]


@scheme_staff(COORDINATOR)
def manage_export(request, slug: str):
    """CSV for the coordinator: ids, states, dates and counts only (no notes, no names,
    no identity data)."""
    scheme = request.staff.scheme
    rows = coordinator_rows(scheme, request.GET).annotate(
        n_goals=Count("goals", distinct=True),
        n_achieved=Count("goals", filter=Q(goals__status="achieved"), distinct=True),
        n_sponsorship=Count("sponsorship_acts", distinct=True),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scheme.slug}-relationships.csv"'
    writer = csv_writer(response)
    writer.writerow(CSV_COLUMNS)
    for rel in rows:
        sides = [m.side for m in rel.memberships.all()]
        writer.writerow(
            [
                rel.pk,
                rel.kind,
                rel.state,
                rel.start_date.isoformat(),
                rel.end_date.isoformat(),
                rel.original_end_date.isoformat(),
                rel.paused_days,
                rel.extended_count,
                rel.closed_at.date().isoformat() if rel.closed_at else "",
                rel.close_reason,
                sides.count("mentor"),
                sides.count("mentee"),
                sides.count("peer"),
                rel.meetings_held,
                rel.last_met_at.date().isoformat() if rel.last_met_at else "",
                rel.last_activity_at.date().isoformat(),
                rel.open_flags,
                rel.n_goals,
                rel.n_achieved,
                rel.n_sponsorship,
            ]
        )
    return response


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_new(request, slug: str):
    """Create a group, a mentoring network or a peer circle (capacity and rules checked)."""
    scheme = request.staff.scheme
    form = forms.NewRelationshipForm(scheme, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        kind = d["kind"]
        NewMember = services.NewMember
        if kind == Relationship.Kind.GROUP:
            members = ([NewMember(d["mentor"], "mentor")] if d["mentor"] else []) + [
                NewMember(p, "mentee") for p in d["mentees"]
            ]
        elif kind == Relationship.Kind.NETWORK:
            members = ([NewMember(d["mentee"], "mentee")] if d["mentee"] else []) + [
                NewMember(d[f], "mentor", f.removeprefix("role_"))
                for f in form.role_fields
                if d.get(f)
            ]
        else:
            members = [NewMember(p, "peer") for p in d["peers"]]
        try:
            rel = services.create_relationship(
                scheme, kind, members, actor=request.user, name=d["name"]
            )
        except services.RelationshipError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{rel.get_kind_display()} created; everyone is emailed.")
            return redirect("relationships:manage_detail", slug, rel.pk)
    return render(
        request,
        "relationships/manage_new.html",
        {"scheme": scheme, "form": form, "active": "relationships"},
        status=400 if request.method == "POST" else 200,
    )


@scheme_staff(COORDINATOR)
def manage_detail(request, slug: str, pk: int):
    """One relationship for the coordinator: state, dates, members, counts, flags. Never notes."""
    rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
    members = list(rel.memberships.select_related("participant__user", "participant__institution"))
    return render(
        request,
        "relationships/manage_detail.html",
        {
            "scheme": rel.scheme,
            "rel": rel,
            "members": members,
            "removable": services.removable_members(rel, members),
            "meetings": rel.meetings.values("status").annotate(n=Count("id")).order_by("status"),
            "flags": rel.flags.select_related("participant__user", "resolved_by"),
            "goals": rel.goals.values("status").annotate(n=Count("id")).order_by("status"),
            "close_form": forms.CoordinatorCloseForm(),
            "pause_form": forms.PauseForm(),
            "active": "relationships",
        },
    )


@scheme_staff(COORDINATOR)
@require_POST
def manage_act(request, slug: str, pk: int):
    rel = access.get_relationship_for_coordinator(request.staff.scheme, pk)
    action = request.POST.get("action")
    try:
        if action == "pause":
            form = forms.PauseForm(request.POST)
            if not form.is_valid():
                raise services.RelationshipError("Choose why the relationship is pausing.")
            services.pause(rel, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, "Paused.")
        elif action == "resume":
            rel = services.resume(rel, actor=request.user)
            messages.success(request, f"Resumed; the end date is now {rel.end_date:%-d %B %Y}.")
        elif action == "close":
            form = forms.CoordinatorCloseForm(request.POST)
            if not form.is_valid():
                raise services.RelationshipError("Choose why the relationship is closing.")
            services.close(rel, reason=form.cleaned_data["reason"], actor=request.user)
            messages.success(request, "Closed. The members are told only that it has ended.")
        elif action == "remove":
            chosen = request.POST.get("member")
            if not is_id(chosen):
                raise services.RelationshipError("Choose whom to remove.")
            removed = services.remove_member(rel, int(chosen), actor=request.user)
            messages.success(
                request,
                f"{removed.participant.user.full_name} is no longer a member. They were told, "
                "and the others were told only that one member is no longer part of it.",
            )
        else:
            raise services.RelationshipError("Choose what to do.")
    except services.RelationshipError as exc:
        show_error(request, exc)
    return redirect("relationships:manage_detail", slug, pk)


@scheme_staff(COORDINATOR)
@require_POST
def manage_resolve_flag(request, slug: str, pk: int):
    flag = access.get_flag_for_coordinator(request.staff.scheme, pk)
    try:
        services.resolve_flag(flag, actor=request.user)
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, "Flag marked as dealt with.")
    if flag.relationship_id:
        return redirect("relationships:manage_detail", slug, flag.relationship_id)
    return redirect("relationships:manage_list", slug)


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_settings(request, slug: str):
    scheme = request.staff.scheme
    current = RelationshipSettings.for_scheme(scheme)
    form = forms.SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.save_settings(scheme, form.cleaned_data, actor=request.user)
        messages.success(request, "Relationship settings saved.")
        return redirect("relationships:manage_list", slug)
    return render(
        request,
        "relationships/manage_settings.html",
        {"scheme": scheme, "form": form, "active": "relationships"},
        status=400 if request.method == "POST" else 200,
    )
