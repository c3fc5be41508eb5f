"""Site administration (schemes, institutions and their aliases, site administrators), a scheme's
staff page (who holds which role since when, invitations, revoking), and accepting an
invitation. Thin: forms in, ``staff.services`` and ``schemes.services`` out."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from equimentor.core.access import public
from equimentor.core.roles import Role
from equimentor.schemes import services as schemes
from equimentor.schemes.access import get_role_in_scheme
from equimentor.schemes.models import Institution, InstitutionAlias, Scheme, StaffRole
from equimentor.staff import forms, services
from equimentor.staff.access import (
    get_invitation_in_scheme,
    scheme_staff,
    site_admin,
    site_admins,
)
from equimentor.staff.models import StaffInvitation

# -- site administration ------------------------------------------------------------------------


@site_admin
def site_home(request):
    """Every scheme with its coordinators and leads counted, and the site's lists."""
    rows = Scheme.objects.annotate(
        n_coordinators=Count("staff_roles", filter=Q(staff_roles__role=Role.COORDINATOR)),
        n_leads=Count("staff_roles", filter=Q(staff_roles__role=Role.SAFEGUARDING)),
    ).order_by("name")
    return render(
        request,
        "staff/site_home.html",
        {
            "schemes": rows,
            "n_institutions": Institution.objects.count(),
            "n_admins": site_admins().count(),
        },
    )


@site_admin
@require_http_methods(["GET", "POST"])
def institutions(request):
    """Institutions (with their aliases), and adding one."""
    form = forms.InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = schemes.save_institution(actor=request.user, **form.cleaned_data)
        except schemes.SchemeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{made.name} added.")
            return redirect("staff:institutions")
    rows = Institution.objects.prefetch_related(
        Prefetch("aliases", queryset=InstitutionAlias.objects.order_by("name"))
    ).order_by("name")
    return render(
        request,
        "staff/institutions.html",
        {"rows": rows, "form": form},
        status=400 if form.errors else 200,
    )


@site_admin
@require_http_methods(["GET", "POST"])
def institution(request, pk: int):
    """Rename an institution; add and remove the other names it goes by."""
    inst = get_object_or_404(Institution, pk=pk)
    form = forms.InstitutionForm(initial={"name": inst.name, "short_name": inst.short_name})
    alias_form = forms.AliasForm()
    if request.method == "POST":
        try:
            if "remove_alias" in request.POST:
                alias = get_object_or_404(
                    InstitutionAlias, institution=inst, pk=request.POST["remove_alias"]
                )
                schemes.remove_alias(alias, actor=request.user)
                messages.success(request, f"“{alias.name}” removed.")
                return redirect("staff:institution", pk)
            if "add_alias" in request.POST:
                alias_form = forms.AliasForm(request.POST)
                if alias_form.is_valid():
                    schemes.add_alias(inst, alias_form.cleaned_data["alias"], actor=request.user)
                    messages.success(request, "Alias added.")
                    return redirect("staff:institution", pk)
            else:
                form = forms.InstitutionForm(request.POST)
                if form.is_valid():
                    schemes.save_institution(
                        actor=request.user, institution=inst, **form.cleaned_data
                    )
                    messages.success(request, "Saved.")
                    return redirect("staff:institution", pk)
        except schemes.SchemeError as exc:
            target = alias_form if "add_alias" in request.POST else form
            target.add_error(None, str(exc))
    return render(
        request,
        "staff/institution.html",
        {"inst": inst, "form": form, "alias_form": alias_form, "aliases": inst.aliases.all()},
        status=400 if form.errors or alias_form.errors else 200,
    )


@site_admin
@require_http_methods(["GET", "POST"])
def administrators(request):
    """Site administrators since when, appointing one (by email) and removing one."""
    form = forms.SiteAdminForm(request.POST if "appoint" in request.POST else None)
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                admin = get_object_or_404(site_admins(), user_id=request.POST["remove"])
                services.remove_site_admin(admin.user, actor=request.user)
                messages.success(request, "Removed; they have been told by email.")
                return redirect("staff:administrators")
            if form.is_valid():
                user = services.find_or_create_user(
                    form.cleaned_data["email"], form.cleaned_data["full_name"]
                )
                services.appoint_site_admin(user, actor=request.user)
                messages.success(request, "Appointed; they have been told by email.")
                return redirect("staff:administrators")
        except services.StaffError as exc:
            if "remove" in request.POST:
                messages.error(request, str(exc))
                return redirect("staff:administrators")
            form.add_error(None, str(exc))
    return render(
        request,
        "staff/administrators.html",
        {"rows": site_admins(), "form": form},
        status=400 if form.errors else 200,
    )


# -- a scheme's staff ---------------------------------------------------------------------------


@scheme_staff(Role.COORDINATOR, Role.SAFEGUARDING, site_admins=True)
@require_http_methods(["GET", "POST"])
def scheme_staff_page(request, slug: str):
    """Who holds which role since when; invite, revoke, withdraw an invitation, and set a
    committee member's institutions — each only for the roles the reader may grant."""
    scheme = request.staff.scheme
    grantable = services.grantable_roles(request.user, scheme)
    form = forms.InviteForm(grantable, request.POST if "invite" in request.POST else None)
    if request.method == "POST":
        try:
            if "invite" in request.POST:
                if form.is_valid():
                    d = form.cleaned_data
                    services.invite(
                        scheme,
                        email=d["email"],
                        full_name=d["full_name"],
                        role=Role(d["role"]),
                        institutions=d["institutions"],
                        actor=request.user,
                    )
                    messages.success(
                        request,
                        f"Invitation sent to {d['email']}. It works once, for "
                        f"{StaffInvitation.lifetime().days} days.",
                    )
                    return redirect("staff:scheme_staff", slug)
            elif "revoke" in request.POST:
                held = get_role_in_scheme(scheme, request.POST["revoke"])
                services.revoke_role(held, actor=request.user)
                messages.success(request, "Role revoked; they have been told by email.")
                return redirect("staff:scheme_staff", slug)
            elif "withdraw" in request.POST:
                invitation = get_invitation_in_scheme(scheme, request.POST["withdraw"])
                services.withdraw_invitation(invitation, actor=request.user)
                messages.success(request, "Invitation withdrawn: its link no longer works.")
                return redirect("staff:scheme_staff", slug)
            elif "limit" in request.POST:
                held = get_object_or_404(
                    StaffRole, scheme=scheme, role=Role.COMMITTEE, pk=request.POST["limit"]
                )
                limit = forms.InstitutionsForm(
                    _institution_choices(), request.POST, prefix=f"limit-{held.pk}"
                )
                if limit.is_valid():
                    services.set_institutions(held, limit.chosen(), actor=request.user)
                    messages.success(request, "Institutions saved.")
                else:
                    messages.error(request, "Choose institutions from the list.")
                return redirect("staff:scheme_staff", slug)
        except services.StaffError as exc:
            if "invite" in request.POST:
                form.add_error(None, str(exc))
            else:
                messages.error(request, str(exc))
                return redirect("staff:scheme_staff", slug)
    holders = (
        StaffRole.objects.filter(scheme=scheme)
        .select_related("user", "granted_by")
        .prefetch_related("institutions")
        .order_by("role", "user__full_name")
    )
    rows, choices = [], None
    for held in holders:
        may = Role(held.role) in grantable
        if may and held.role == Role.COMMITTEE and choices is None:
            choices = _institution_choices()
        limit = (
            forms.InstitutionsForm(
                choices,
                prefix=f"limit-{held.pk}",
                initial={"institutions": [i.pk for i in held.institutions.all()]},
            )
            if may and held.role == Role.COMMITTEE
            else None
        )
        rows.append((held, may, limit))
    invitations = [
        i
        for i in StaffInvitation.objects.filter(
            scheme=scheme, accepted_at=None, withdrawn_at=None
        ).select_related("invited_by")
        if i.is_pending
    ]
    return render(
        request,
        "staff/scheme_staff.html",
        {
            "scheme": scheme,
            "rows": rows,
            "invitations": invitations,
            "grantable": grantable,
            "form": form,
            "is_coordinator": request.staff.has(Role.COORDINATOR),
        },
        status=400 if form.errors else 200,
    )


def _institution_choices() -> list[tuple[int, str]]:
    return list(Institution.objects.order_by("name").values_list("pk", "name"))


# -- accepting an invitation --------------------------------------------------------------------

ROLE_HOME = {
    Role.COORDINATOR: "backoffice:dashboard",
    Role.SAFEGUARDING: "safeguarding:cases",
    Role.EVALUATOR: "evaluation:manage",
    Role.COMMITTEE: "reports:committee",
}


@public
@require_http_methods(["GET", "POST"])
def accept(request, token: str):
    """Show an invitation, and accept it on the button (a GET never uses it: mail scanners
    follow links)."""
    try:
        if request.method == "POST":
            done = services.accept_invitation(request, token)
            messages.success(
                request,
                f"Welcome. You are {done.staff.get_role_display().lower()} of "
                f"{done.staff.scheme.name}.",
            )
            return redirect(ROLE_HOME[Role(done.staff.role)], done.staff.scheme.slug)
        invitation = services.pending_invitation(token)
    except services.StaffError as exc:
        return render(request, "staff/invitation_problem.html", {"problem": str(exc)}, status=400)
    return render(
        request,
        "staff/accept.html",
        {
            "invitation": invitation,
            "role": Role(invitation.role).label,
            "institutions": list(invitation.institutions.all()),
            "other_account": request.user.is_authenticated
            and request.user.email.lower() != invitation.email.lower(),
        },
    )
