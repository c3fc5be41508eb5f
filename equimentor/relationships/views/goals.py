"""Goals (the mentee's, with reviews) and private notes (readable by their author only)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.relationships import access, forms, services
from equimentor.relationships.models import Goal, Membership
from equimentor.relationships.views.common import show_error, tabs


@signed_in
@require_http_methods(["GET", "POST"])
def goals(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.add_goal(
                rel,
                member,
                title=d["title"],
                detail=d["detail"],
                target_date=d["target_date"],
                actor=request.user,
            )
        except services.RelationshipError as exc:
            show_error(request, exc)
        else:
            messages.success(request, "Goal added.")
            return redirect("relationships:goals", slug, pk)
    rows = list(
        rel.goals.select_related("owner__user").prefetch_related(
            Prefetch(
                "reviews",
                queryset=Goal.reviews.rel.related_model.objects.select_related(
                    "by__user", "meeting"
                ),
            )
        )
    )
    return render(
        request,
        "relationships/goals.html",
        {
            **tabs(rel, "goals"),
            "member": member,
            "form": form,
            "goals": rows,
            "statuses": Goal.Status.choices,
            "can_add": member.left_at is None
            and rel.is_open
            and member.side != Membership.Side.MENTOR,
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_POST
def goal_update(request, slug: str, pk: int, gid: int):
    goal, rel, member = access.get_goal_for_member(request.user, slug, pk, gid)
    form = forms.GoalUpdateForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError("Give a status and progress between 0 and 100%.")
        d = form.cleaned_data
        services.update_goal(
            goal,
            member,
            services.GoalCheck(
                goal=goal, status=d["status"], progress=d["progress"], note=d["note"]
            ),
            actor=request.user,
        )
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, "Goal updated.")
    return redirect("relationships:goals", slug, pk)


@signed_in
@require_http_methods(["GET", "POST"])
def notes(request, slug: str, pk: int):
    """My private notes: only I can ever read them."""
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        meeting = None
        if request.POST.get("meeting"):
            meeting = rel.meetings.filter(pk=request.POST["meeting"]).first()
        try:
            services.add_private_note(
                rel, member, form.cleaned_data["body"], meeting=meeting, actor=request.user
            )
        except services.RelationshipError as exc:
            show_error(request, exc)
        else:
            messages.success(request, "Private note saved. Only you can read it.")
            if meeting is not None:
                return redirect("relationships:meeting", slug, pk, meeting.pk)
            return redirect("relationships:notes", slug, pk)
    return render(
        request,
        "relationships/notes.html",
        {
            **tabs(rel, "notes"),
            "member": member,
            "form": form,
            "notes": access.private_notes_of(request.user, rel),
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_POST
def note_edit(request, slug: str, pk: int, nid: int):
    note = access.get_private_note_for_author(request.user, slug, pk, nid)
    form = forms.NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError("Write something to save, or delete the note.")
        services.edit_private_note(
            note, request.user, form.cleaned_data["body"], actor=request.user
        )
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, "Private note saved.")
    return redirect("relationships:notes", slug, pk)


@signed_in
@require_POST
def note_delete(request, slug: str, pk: int, nid: int):
    note = access.get_private_note_for_author(request.user, slug, pk, nid)
    services.delete_private_note(note, request.user, actor=request.user)
    messages.success(request, "Private note deleted.")
    return redirect("relationships:notes", slug, pk)
