"""The mentoring agreement pages: edit (a new version each time), confirm, print."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.core.params import query_int
from equimentor.relationships import access, forms, services
from equimentor.relationships.views.common import show_error, tabs


@signed_in
@require_http_methods(["GET", "POST"])
def agreement(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    versions = list(
        rel.agreement_versions.select_related("saved_by__user").prefetch_related(
            "confirmations__participant__user"
        )
    )
    latest = versions[0] if versions else None
    initial = (
        {f: getattr(latest, f) for f in services.AGREEMENT_FIELDS}
        if latest
        else services.default_agreement(rel)
    )
    form = forms.AgreementForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.save_agreement(rel, member, form.cleaned_data, actor=request.user)
        except services.RelationshipError as exc:
            show_error(request, exc)
        else:
            messages.success(
                request, f"Saved as version {version.number}. Everyone now confirms this version."
            )
            return redirect("relationships:agreement", slug, pk)
    confirmed_by = {c.participant_id for c in latest.confirmations.all()} if latest else set()
    return render(
        request,
        "relationships/agreement.html",
        {
            **tabs(rel, "agreement"),
            "member": member,
            "form": form,
            "latest": latest,
            "versions": versions,
            "confirmed_by": confirmed_by,
            "members": rel.active_members(),
            "i_confirmed": member.participant_id in confirmed_by,
            "can_act": member.left_at is None and rel.is_open,
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_POST
def agreement_confirm(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    version = rel.agreement_versions.filter(pk=request.POST.get("version") or 0).first()
    try:
        if version is None:
            raise services.RelationshipError("Choose the version you are confirming.")
        services.confirm_agreement(rel, member, version, actor=request.user)
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"You confirmed version {version.number} of the agreement.")
    return redirect("relationships:agreement", slug, pk)


@signed_in
def agreement_print(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    versions = rel.agreement_versions.prefetch_related("confirmations__participant__user")
    number = query_int(request.GET, "v", lo=1, hi=10_000, label="The agreement's version")
    version = versions.filter(number=number).first() if number else versions.first()
    return render(
        request,
        "relationships/agreement_print.html",
        {"rel": rel, "scheme": rel.scheme, "version": version, "members": rel.active_members()},
    )
