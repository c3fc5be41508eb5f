"""Meeting pages: arrange and list, log one, move, cancel, and its calendar invitation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core import zones
from equimentor.core.access import signed_in
from equimentor.relationships import access, forms, services
from equimentor.relationships.ics import build as build_ics
from equimentor.relationships.ics import filename as ics_filename
from equimentor.relationships.models import Goal, Meeting
from equimentor.relationships.views.common import State, local_plan, show_error, tabs


def _likely_zones(user, rel) -> list[str]:
    """The zones a member is likely to arrange in: their own, the other members', and the zone
    of the meeting arranged last (two queries)."""
    others = (
        rel.memberships.filter(left_at__isnull=True)
        .exclude(participant__user=user)
        .values_list("participant__user__time_zone", flat=True)
    )
    last = rel.meetings.order_by("-created_at", "-id").values_list("time_zone", flat=True)[:1]
    return [user.time_zone, *others, *last]


@signed_in
@require_http_methods(["GET", "POST"])
def meetings(request, slug: str, pk: int):
    rel, member = access.get_relationship_for_member(request.user, slug, pk)
    form = forms.MeetingForm(
        request.POST or None,
        initial={"time_zone": request.user.time_zone, "duration_minutes": 60, "mode": "virtual"},
        likely=_likely_zones(request.user, rel),
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.schedule_meeting(rel, member, local_plan(form), actor=request.user)
        except services.RelationshipError as exc:
            show_error(request, exc)
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
            **tabs(rel, "meetings"),
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


def _log_guess(meeting: Meeting, now) -> dict:
    """The log form's first answer: what was logged, or for a meeting not logged yet "it took
    place, for the planned length" only once its planned end has passed — never before."""
    if meeting.status == Meeting.Status.HELD:
        return {"happened": "yes", "actual_minutes": meeting.actual_minutes}
    if meeting.status == Meeting.Status.MISSED:
        return {"happened": "no"}
    if meeting.ends_at <= now:
        return {"happened": "yes", "actual_minutes": meeting.duration_minutes}
    return {}


@signed_in
@require_http_methods(["GET", "POST"])
def meeting(request, slug: str, pk: int, mid: int):
    meeting, rel, member = access.get_meeting_for_member(request.user, slug, pk, mid)
    goals = list(rel.goals.all())
    now = timezone.now()
    initial = {
        **_log_guess(meeting, now),
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
            show_error(request, exc)
        else:
            messages.success(request, "Meeting logged.")
            return redirect("relationships:meeting", slug, pk, mid)
    local = timezone.localtime(meeting.starts_at, timezone.get_current_timezone())
    move_form = forms.MeetingForm(
        likely=[meeting.time_zone, *_likely_zones(request.user, rel)],
        initial={
            "date": meeting.starts_at.astimezone(zones.zone(meeting.time_zone, "")).date(),
            "time": meeting.starts_at.astimezone(zones.zone(meeting.time_zone, "")).time(),
            "time_zone": meeting.time_zone,
            "duration_minutes": meeting.duration_minutes,
            "mode": meeting.mode,
            "video_link": meeting.video_link,
            "location": meeting.location,
        },
    )
    return render(
        request,
        "relationships/meeting.html",
        {
            **tabs(rel, "meetings"),
            "member": member,
            "meeting": meeting,
            "local": local,
            "arranged_local": meeting.starts_at.astimezone(
                zones.zone(meeting.time_zone, "")
            ).replace(tzinfo=None),
            "form": form,
            "move_form": move_form,
            "goals": goals,
            "goal_statuses": Goal.Status.choices,
            "note_form": forms.NoteForm(),
            "my_notes": access.private_notes_of(request.user, rel).filter(meeting=meeting),
            "started": meeting.starts_at <= now,
            "can_act": member.left_at is None and rel.is_open,
        },
        status=400 if request.method == "POST" else 200,
    )


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
        services.reschedule_meeting(meeting, member, local_plan(form), actor=request.user)
    except services.RelationshipError as exc:
        show_error(request, exc)
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
        show_error(request, exc)
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
