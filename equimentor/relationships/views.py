"""Mentoring relationship pages: each participant's home and relationship, and the coordinator's
list. Views validate input and call services; access is decided in ``relationships.access``."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Count, Max, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import scheme_staff, signed_in
from equimentor.enrolment.access import get_own_participation
from equimentor.relationships import access, forms, services
from equimentor.relationships.ics import build as build_ics
from equimentor.relationships.ics import filename as ics_filename
from equimentor.relationships.models import (
    Flag,
    Goal,
    Meeting,
    Membership,
    Relationship,
    RelationshipSettings,
)
from equimentor.relationships.queries import check_ins_due, relationships_of
from equimentor.schemes.access import get_scheme_for_staff
from equimentor.schemes.models import StaffRole

COORDINATOR = "coordinator"
State = Relationship.State


# -- helpers -----------------------------------------------------------------------------------------


def next_steps(rel: Relationship, member: Membership, *, confirmed_latest: bool | None = None):
    """What this member should do next in this relationship: (text, url name) pairs."""
    if rel.state == State.CLOSED or member.left_at is not None:
        return []
    steps = []
    scheduled = getattr(rel, "scheduled_meetings", None)
    if rel.state == State.ACCEPTED:
        if not scheduled:
            steps.append(
                (
                    "Arrange your first meeting (a trial: either of you can step away "
                    "afterwards without fault).",
                    "relationships:meetings",
                )
            )
        else:
            steps.append(
                ("After your first meeting, log whether it took place.", "relationships:meetings")
            )
    if rel.state == State.TRIAL and not member.trial_decision:
        steps.append(
            ("Tell us privately whether you would like to continue.", "relationships:detail")
        )
    if rel.state in (State.ACCEPTED, State.TRIAL) and confirmed_latest is False:
        steps.append(("Agree and confirm your mentoring agreement.", "relationships:agreement"))
    if rel.state == State.ENDING_DUE and not member.end_choice:
        steps.append(("The end date is near: choose to extend or close.", "relationships:detail"))
    if rel.state in (State.ACTIVE, State.EXTENDED) and not scheduled:
        steps.append(("Arrange your next meeting.", "relationships:meetings"))
    return steps


def _tabs(rel, active: str) -> dict:
    return {"rel": rel, "active": active, "scheme": rel.scheme}


def _fail(request, exc) -> None:
    messages.error(request, str(exc))


def _local_plan(form) -> services.MeetingPlan:
    data = form.cleaned_data
    return services.MeetingPlan(
        local_start=datetime.combine(data["date"], data["time"]),
        time_zone=data["time_zone"],
        duration_minutes=data["duration_minutes"],
        mode=data["mode"],
        video_link=data.get("video_link") or "",
        location=data.get("location") or "",
    )


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
    scheduled = list(rel.meetings.filter(status=Meeting.Status.SCHEDULED).order_by("starts_at"))
    rel.scheduled_meetings = scheduled
    latest = services.latest_agreement(rel)
    confirmed = bool(
        latest and latest.confirmations.filter(participant=member.participant_id).exists()
    )
    context = {
        **_tabs(rel, "overview"),
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
        "sponsorship_form": forms.SponsorshipForm(rel, member)
        if member.side in (Membership.Side.MENTOR, Membership.Side.PEER) and rel.is_open
        else None,
        "sponsorship": rel.sponsorship_acts.select_related("mentor__user", "mentee__user"),
        "agreement": latest,
    }
    return render(request, "relationships/detail.html", context)


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
        _fail(request, exc)
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
        _fail(request, exc)
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
        _fail(request, exc)
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
        _fail(request, exc)
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
        _fail(request, exc)
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
        _fail(request, exc)
    else:
        messages.success(request, "Sponsorship recorded.")
    return redirect("relationships:detail", slug, pk)


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
            _fail(request, exc)
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
            **_tabs(rel, "agreement"),
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
        _fail(request, exc)
    else:
        messages.success(request, f"You confirmed version {version.number} of the agreement.")
    return redirect("relationships:agreement", slug, pk)


@signed_in
def agreement_print(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    versions = rel.agreement_versions.prefetch_related("confirmations__participant__user")
    number = request.GET.get("v", "")
    version = versions.filter(number=number).first() if number.isdigit() else versions.first()
    return render(
        request,
        "relationships/agreement_print.html",
        {"rel": rel, "scheme": rel.scheme, "version": version, "members": rel.active_members()},
    )


@signed_in
@require_http_methods(["GET", "POST"])
def meetings(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.MeetingForm(
        request.POST or None,
        initial={"time_zone": request.user.time_zone, "duration_minutes": 60, "mode": "virtual"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.schedule_meeting(rel, member, _local_plan(form), actor=request.user)
        except services.RelationshipError as exc:
            _fail(request, exc)
        else:
            if meeting.starts_at > timezone.now():
                messages.success(request, "Meeting arranged: everyone has a calendar invitation.")
                return redirect("relationships:meetings", slug, pk)
            messages.success(request, "Meeting recorded. Now log what happened.")
            return redirect("relationships:meeting", slug, pk, meeting.pk)
    rows = list(rel.meetings.select_related("arranged_by__user"))
    now = timezone.now()
    return render(
        request,
        "relationships/meetings.html",
        {
            **_tabs(rel, "meetings"),
            "member": member,
            "form": form,
            "upcoming": sorted(
                (m for m in rows if m.status == Meeting.Status.SCHEDULED and m.starts_at >= now),
                key=lambda m: m.starts_at,
            ),
            "to_log": [
                m for m in rows if m.status == Meeting.Status.SCHEDULED and m.starts_at < now
            ],
            "past": [m for m in rows if m.status != Meeting.Status.SCHEDULED],
            "can_act": member.left_at is None and rel.is_open and rel.state != State.PAUSED,
        },
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def meeting(request, slug: str, pk: int, mid: int):
    meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
    goals = list(rel.goals.all())
    initial = {
        "happened": "yes" if meeting.status != Meeting.Status.MISSED else "no",
        "actual_minutes": meeting.actual_minutes or meeting.duration_minutes,
        "agenda": meeting.agenda,
        "agenda_by": meeting.agenda_by,
        "shared_notes": meeting.shared_notes,
        "actions": meeting.actions,
    }
    form = forms.LogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        reviews = []
        for goal in goals:
            status = request.POST.get(f"goal-{goal.pk}-status")
            if not status:
                continue
            try:
                progress = int(request.POST.get(f"goal-{goal.pk}-progress") or goal.progress)
            except ValueError:
                progress = goal.progress
            reviews.append(
                services.GoalCheck(
                    goal=goal,
                    status=status,
                    progress=progress,
                    note=request.POST.get(f"goal-{goal.pk}-note", ""),
                )
            )
        d = form.cleaned_data
        try:
            services.log_meeting(
                meeting,
                member,
                happened=d["happened"],
                actual_minutes=d["actual_minutes"],
                agenda=d["agenda"],
                agenda_by=d["agenda_by"],
                shared_notes=d["shared_notes"],
                actions=d["actions"],
                reviews=reviews,
                actor=request.user,
            )
        except services.RelationshipError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Meeting logged.")
            return redirect("relationships:meeting", slug, pk, mid)
    local = timezone.localtime(meeting.starts_at, timezone.get_current_timezone())
    move_form = forms.MeetingForm(
        initial={
            "date": meeting.starts_at.astimezone(_zone(meeting.time_zone)).date(),
            "time": meeting.starts_at.astimezone(_zone(meeting.time_zone)).time(),
            "time_zone": meeting.time_zone,
            "duration_minutes": meeting.duration_minutes,
            "mode": meeting.mode,
            "video_link": meeting.video_link,
            "location": meeting.location,
        }
    )
    return render(
        request,
        "relationships/meeting.html",
        {
            **_tabs(rel, "meetings"),
            "member": member,
            "meeting": meeting,
            "local": local,
            "arranged_local": meeting.starts_at.astimezone(_zone(meeting.time_zone)).replace(
                tzinfo=None
            ),
            "form": form,
            "move_form": move_form,
            "goals": goals,
            "goal_statuses": Goal.Status.choices,
            "note_form": forms.NoteForm(),
            "my_notes": access.private_notes_of(request.user, rel).filter(meeting=meeting),
            "started": meeting.starts_at <= timezone.now(),
            "can_act": member.left_at is None and rel.is_open,
        },
        status=400 if request.method == "POST" else 200,
    )


def _zone(name: str):
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


@signed_in
@require_POST
def meeting_move(request, slug: str, pk: int, mid: int):
    meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
    form = forms.MeetingForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RelationshipError(
                "Check the new date, time, time zone, length and how you will meet."
            )
        services.reschedule_meeting(meeting, member, _local_plan(form), actor=request.user)
    except services.RelationshipError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Meeting moved: everyone has an updated invitation.")
    return redirect("relationships:meeting", slug, pk, mid)


@signed_in
@require_POST
def meeting_cancel(request, slug: str, pk: int, mid: int):
    meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
    try:
        services.cancel_meeting(meeting, member, actor=request.user)
    except services.RelationshipError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Meeting cancelled: everyone's calendar is updated.")
    return redirect("relationships:meetings", slug, pk)


@signed_in
def meeting_ics(request, slug: str, pk: int, mid: int):
    meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
    data = build_ics(meeting, cancel=meeting.status == Meeting.Status.CANCELLED)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(meeting)}"'
    return response


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
            _fail(request, exc)
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
            **_tabs(rel, "goals"),
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
        _fail(request, exc)
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
            _fail(request, exc)
        else:
            messages.success(request, "Private note saved. Only you can read it.")
            if meeting is not None:
                return redirect("relationships:meeting", slug, pk, meeting.pk)
            return redirect("relationships:notes", slug, pk)
    return render(
        request,
        "relationships/notes.html",
        {
            **_tabs(rel, "notes"),
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
        _fail(request, exc)
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
            _fail(request, exc)
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
            _fail(request, exc)
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


# -- coordinator pages -------------------------------------------------------------------------------


def coordinator_rows(scheme, params):
    """The coordinator's list: every relationship with members, flags and last meeting."""
    rows = (
        Relationship.objects.filter(scheme=scheme)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("participant__user").order_by(
                    "side", "id"
                ),
            )
        )
        .annotate(
            open_flags=Count("flags", filter=Q(flags__resolved_at__isnull=True), distinct=True),
            meetings_held=Count(
                "meetings", filter=Q(meetings__status=Meeting.Status.HELD), distinct=True
            ),
            last_flag=Max("flags__created_at"),
        )
        .order_by("-started_at", "-id")
    )
    state = params.get("state", "")
    if state == "open":
        rows = rows.filter(state__in=Relationship.OPEN_STATES)
    elif state in State.values:
        rows = rows.filter(state=state)
    kind = params.get("kind", "")
    if kind in Relationship.Kind.values:
        rows = rows.filter(kind=kind)
    if params.get("flagged"):
        rows = rows.filter(flags__resolved_at__isnull=True).distinct()
    weeks = params.get("weeks", "")
    if weeks.isdigit():
        cutoff = timezone.now() - timedelta(weeks=int(weeks))
        rows = rows.filter(state__in=Relationship.OPEN_STATES).filter(
            Q(last_met_at__lt=cutoff) | Q(last_met_at__isnull=True, started_at__lt=cutoff)
        )
    return rows


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
    scheme = get_scheme_for_staff(request.user, slug, COORDINATOR)
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
    scheme = get_scheme_for_staff(request.user, slug, COORDINATOR)
    rows = coordinator_rows(scheme, request.GET).annotate(
        n_goals=Count("goals", distinct=True),
        n_achieved=Count("goals", filter=Q(goals__status="achieved"), distinct=True),
        n_sponsorship=Count("sponsorship_acts", distinct=True),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scheme.slug}-relationships.csv"'
    writer = csv.writer(response)
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
    scheme = get_scheme_for_staff(request.user, slug, COORDINATOR)
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
    rel = access.get_relationship_for_coordinator(request.user, slug, pk)
    return render(
        request,
        "relationships/manage_detail.html",
        {
            "scheme": rel.scheme,
            "rel": rel,
            "members": list(rel.memberships.all()),
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
    rel = access.get_relationship_for_coordinator(request.user, slug, pk)
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
        else:
            raise services.RelationshipError("Choose what to do.")
    except services.RelationshipError as exc:
        _fail(request, exc)
    return redirect("relationships:manage_detail", slug, pk)


@scheme_staff(COORDINATOR)
@require_POST
def manage_resolve_flag(request, slug: str, pk: int):
    flag = access.get_flag_for_coordinator(request.user, slug, pk)
    try:
        services.resolve_flag(flag, actor=request.user)
    except services.RelationshipError as exc:
        _fail(request, exc)
    else:
        messages.success(request, "Flag marked as dealt with.")
    if flag.relationship_id:
        return redirect("relationships:manage_detail", slug, flag.relationship_id)
    return redirect("relationships:manage_list", slug)


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_settings(request, slug: str):
    scheme = get_scheme_for_staff(request.user, slug, COORDINATOR)
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
