"""A participant's pages: mentoring home, one relationship (trial, ending, pause, close,
sponsorship), check-ins, where to raise a concern, milestones."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.enrolment.access import get_own_participation
from equimentor.relationships import access, forms, services
from equimentor.relationships.models import Meeting, Membership, Relationship
from equimentor.relationships.queries import check_ins_due, relationships_of
from equimentor.relationships.views.common import State, next_steps, show_error, tabs
from equimentor.schemes.models import StaffRole

# -- participant pages -----------------------------------------------------------------------------


@signed_in
def home(request, slug: str):
    """My relationships, next meeting, goals, check-ins due and what to do next."""
    participant = get_own_participation(request.user, slug)
    rels = list(relationships_of(participant))
    items, upcoming, my_goals = [], [], []
    now = timezone.now()
    for rel in rels:
        member = next(m for m in rel.memberships.all() if m.participant_id == participant.pk)
        versions = list(rel.agreement_versions.all())
        latest = max(versions, key=lambda v: v.number) if versions else None
        confirmed = bool(
            latest and any(c.participant_id == participant.pk for c in latest.confirmations.all())
        )
        items.append(
            {
                "rel": rel,
                "member": member,
                "others": [m for m in rel.active_members() if m.pk != member.pk],
                "steps": next_steps(rel, member, confirmed_latest=confirmed),
            }
        )
        upcoming += [m for m in rel.scheduled_meetings if m.starts_at >= now]
        my_goals += [
            g
            for g in rel.goals.all()
            if g.owner_id == participant.pk and g.status not in ("achieved", "dropped")
        ]
    upcoming.sort(key=lambda m: m.starts_at)
    return render(
        request,
        "relationships/home.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "items": items,
            "next_meeting": upcoming[0] if upcoming else None,
            "next_meeting_rel": upcoming[0].relationship_id if upcoming else None,
            "goals": my_goals,
            "check_ins": list(check_ins_due(participant)),
            "milestones": participant.milestones.all()[:5] if participant.is_mentee else [],
        },
    )


@signed_in
def detail(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    return _render_detail(request, rel, member)


def _records_sponsorship(rel, member) -> bool:
    """Whether the page offers ``member`` the form to record sponsorship."""
    return member.side in (Membership.Side.MENTOR, Membership.Side.PEER) and rel.is_open


def _render_detail(request, rel, member, *, sponsorship_form=None, status=200):
    scheduled = list(rel.meetings.filter(status=Meeting.Status.SCHEDULED).order_by("starts_at"))
    rel.scheduled_meetings = scheduled
    latest = services.latest_agreement(rel)
    confirmed = bool(
        latest and latest.confirmations.filter(participant=member.participant_id).exists()
    )
    context = {
        **tabs(rel, "overview"),
        "member": member,
        "members": list(rel.memberships.all()),
        "steps": next_steps(rel, member, confirmed_latest=confirmed),
        "next_meeting": scheduled[0] if scheduled else None,
        "held": rel.meetings.filter(status=Meeting.Status.HELD).count(),
        "trial_form": forms.TrialForm(),
        "end_form": forms.EndForm(initial={"new_end_date": rel.end_date + timedelta(days=91)}),
        "close_form": forms.CloseForm(),
        "pause_form": forms.PauseForm(),
        "can_act": member.left_at is None and rel.is_open,
        "sponsorship_form": (sponsorship_form or forms.SponsorshipForm(rel, member))
        if _records_sponsorship(rel, member)
        else None,
        "sponsorship": rel.sponsorship_acts.select_related("mentor__user", "mentee__user"),
        "agreement": latest,
    }
    return render(request, "relationships/detail.html", context, status=status)


@signed_in
@require_POST
def trial(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.TrialForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose continue or step away.")
        return redirect("relationships:detail", slug, pk)
    go_on = form.cleaned_data["decision"] == "continue"
    try:
        services.trial_decision(
            rel,
            member,
            go_on=go_on,
            never_again=form.cleaned_data["never_again"],
            actor=request.user,
        )
    except services.RelationshipError as exc:
        show_error(request, exc)
        return redirect("relationships:detail", slug, pk)
    if go_on:
        messages.success(request, "Thank you. Your answer is private.")
        return redirect("relationships:detail", slug, pk)
    messages.success(
        request,
        "You have stepped away. The others are told only that the match will not continue.",
    )
    return redirect("relationships:home", slug)


@signed_in
@require_POST
def end(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.EndForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose extend with a new end date, or close.")
        return redirect("relationships:detail", slug, pk)
    data = form.cleaned_data
    try:
        rel = services.end_choice(
            rel,
            member,
            extend=data["choice"] == "extend",
            new_end_date=data["new_end_date"],
            reason=data.get("reason") or Relationship.CloseReason.GOALS_MET,
            actor=request.user,
        )
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        if rel.state == State.EXTENDED:
            messages.success(request, f"Extended: the new end date is {rel.end_date:%-d %B %Y}.")
        elif rel.state == State.CLOSED:
            messages.success(request, "The relationship is closed. Thank you.")
        else:
            messages.success(request, "Your choice is saved; the others have to agree too.")
    return redirect("relationships:detail", slug, pk)


@signed_in
@require_POST
def pause(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.PauseForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError("Choose why the relationship is pausing.")
        services.pause(rel, reason=form.cleaned_data["reason"], actor=request.user, member=member)
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, "Paused. When you resume, the end date moves on by the pause.")
    return redirect("relationships:detail", slug, pk)


@signed_in
@require_POST
def resume(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    try:
        rel = services.resume(rel, actor=request.user, member=member)
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(request, f"Resumed. The end date is now {rel.end_date:%-d %B %Y}.")
    return redirect("relationships:detail", slug, pk)


@signed_in
@require_POST
def close(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.CloseForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError("Choose why you are closing the relationship.")
        services.close(
            rel,
            reason=form.cleaned_data["reason"],
            member=member,
            never_again=form.cleaned_data["never_again"],
            actor=request.user,
        )
    except services.RelationshipError as exc:
        show_error(request, exc)
    else:
        messages.success(
            request,
            "The relationship is closed. The others are told only that it has ended.",
        )
    return redirect("relationships:detail", slug, pk)


@signed_in
@require_POST
def sponsorship(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.SponsorshipForm(rel, member, request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError("Choose the mentee, what you did and when.")
        d = form.cleaned_data
        services.record_sponsorship(
            rel,
            member,
            mentee=d["mentee"],
            kind=d["kind"],
            description=d["description"],
            on_date=d["on_date"],
            actor=request.user,
        )
    except services.RelationshipError as exc:
        if not _records_sponsorship(rel, member):
            show_error(request, exc)  # no form is shown to put the message on
            return redirect("relationships:detail", slug, pk)
        # Show the form again as it was typed, with what is wrong.
        if not form.errors:
            form.add_error(None, str(exc))
        return _render_detail(request, rel, member, sponsorship_form=form, status=400)
    messages.success(request, "Sponsorship recorded.")
    return redirect("relationships:detail", slug, pk)


@signed_in
@require_http_methods(["GET", "POST"])
def check_in(request, slug: str, pk: int):
    item = access.get_check_in_for_owner(request.user, slug, pk)
    form = forms.CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.answer_check_in(
                item,
                request.user,
                rating=form.cleaned_data["rating"],
                wants_contact=form.cleaned_data["wants_contact"],
                actor=request.user,
            )
        except services.RelationshipError as exc:
            show_error(request, exc)
        else:
            messages.success(
                request, "Thank you. Your answer is private: only the coordinator sees it."
            )
            return redirect("relationships:home", slug)
    return render(
        request,
        "relationships/check_in.html",
        {"scheme": item.relationship.scheme, "item": item, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def safeguarding_contacts(scheme):
    return (
        StaffRole.objects.filter(scheme=scheme, role=StaffRole.Role.SAFEGUARDING)
        .select_related("user")
        .order_by("user__full_name")
    )


@signed_in
def concern(request, slug: str):
    """Where to raise a concern: the scheme's safeguarding contact and other routes."""
    participant = get_own_participation(request.user, slug)
    return render(
        request,
        "relationships/concern.html",
        {
            "scheme": participant.scheme,
            "leads": safeguarding_contacts(participant.scheme),
        },
    )


@signed_in
@require_http_methods(["GET", "POST"])
def milestones(request, slug: str):
    participant = get_own_participation(request.user, slug)
    form = forms.MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.add_milestone(
                participant,
                kind=d["kind"],
                title=d["title"],
                achieved_on=d["achieved_on"],
                actor=request.user,
            )
        except services.RelationshipError as exc:
            show_error(request, exc)
        else:
            messages.success(request, "Milestone recorded. Congratulations!")
            return redirect("relationships:milestones", slug)
    return render(
        request,
        "relationships/milestones.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "form": form,
            "milestones": participant.milestones.all(),
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_POST
def milestone_delete(request, slug: str, pk: int):
    milestone = access.get_milestone_for_owner(request.user, slug, pk)
    participant = get_own_participation(request.user, slug)
    services.delete_milestone(milestone, participant, actor=request.user)
    messages.success(request, "Milestone deleted.")
    return redirect("relationships:milestones", slug)
