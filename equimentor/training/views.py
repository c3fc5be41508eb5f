"""Sessions: the coordinator schedules, changes and cancels them and sees who registered; a
participant sees the sessions open to them, registers, joins the waiting list or cancels."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import public, signed_in
from equimentor.core.params import is_id
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.evaluation.models import EvaluationSettings
from equimentor.staff.access import scheme_staff
from equimentor.training import access, feed, forms, ics, induction, services
from equimentor.training.models import (
    CalendarFeed,
    FeedbackInvitation,
    ItemCompletion,
    Registration,
    Session,
    TrainingSettings,
)

CONFIRMED, WAITLISTED = Registration.Status.CONFIRMED, Registration.Status.WAITLISTED


# -- coordinator -----------------------------------------------------------------------------------


@scheme_staff(Role.COORDINATOR)
def manage_sessions(request, slug: str):
    """Upcoming and past sessions with their places taken and waiting lists."""
    scheme = request.staff.scheme
    now = timezone.now()
    sessions = access.with_counts(Session.objects.filter(scheme=scheme))
    return render(
        request,
        "training/manage_sessions.html",
        {
            "scheme": scheme,
            "upcoming": list(sessions.filter(ends_at__gt=now).order_by("starts_at", "id")[:200]),
            "past": list(sessions.filter(ends_at__lte=now).order_by("-starts_at", "-id")[:200]),
            "active": "training",
        },
    )


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_new_session(request, slug: str):
    scheme = request.staff.scheme
    form = forms.NewSessionForm(scheme, request.POST or None, likely=[request.user.time_zone])
    if request.method == "POST" and form.is_valid():
        try:
            made = services.schedule(scheme, form.plan(), actor=request.user, **form.repetition())
        except services.TrainingError as exc:
            form.add_error(None, str(exc))
        else:
            if len(made) == 1:
                messages.success(request, "Session scheduled.")
                return redirect("training:manage_session", slug, made[0].pk)
            messages.success(request, f"{len(made)} sessions scheduled as a series.")
            return redirect("training:manage_sessions", slug)
    return render(
        request,
        "training/manage_session_form.html",
        {"scheme": scheme, "form": form, "active": "training", "new": True},
        status=400 if request.method == "POST" else 200,
    )


@scheme_staff(Role.COORDINATOR)
def manage_session(request, slug: str, pk: int):
    """One session: its details and everyone registered, places first, then the waiting list in
    its order."""
    session = access.get_session_for_coordinator(request.staff.scheme, pk)
    regs = list(
        Registration.objects.filter(session=session)
        .select_related("participant__user", "participant__institution")
        .order_by("status", "queued_at", "registered_at", "id")
    )
    return render(
        request,
        "training/manage_session.html",
        {
            "scheme": session.scheme,
            "session": session,
            "confirmed": [r for r in regs if r.status == CONFIRMED],
            "waiting": [r for r in regs if r.status == WAITLISTED],
            "left": [r for r in regs if not r.is_active],
            "relationships": session.relationships.prefetch_related(
                "memberships__participant__user"
            ),
            "started": session.starts_at <= timezone.now(),
            "feedback": _feedback_count(session),
            "active": "training",
        },
    )


def _feedback_count(session) -> str:
    """How many answered, as the small-number rules let it be shown (never the answers: a
    session's own results could be taken from its kind's)."""

    n = FeedbackInvitation.objects.filter(registration__session=session, has_responded=True).count()
    k = EvaluationSettings.for_scheme(session.scheme).k
    return f"<{k}" if 0 < n < k else str(n)


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_attendance(request, slug: str, pk: int):
    """Record (or correct) who came; attendees are asked for anonymous feedback."""
    session = access.get_session_for_coordinator(request.staff.scheme, pk)
    attended = {int(v) for v in request.POST.getlist("attended") if is_id(v)}
    try:
        done = services.record_attendance(session, attended, actor=request.user)
    except services.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Attendance saved: {done['attended']} of {done['places']} came. "
            f"{done['asked']} asked for feedback.",
        )
    return redirect("training:manage_session", slug, pk)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_edit_session(request, slug: str, pk: int):
    session = access.get_session_for_coordinator(request.staff.scheme, pk)
    likely = [session.time_zone, request.user.time_zone]
    if request.method == "POST":
        form = forms.SessionForm(session.scheme, request.POST, likely=likely)
    else:
        form = forms.SessionForm(
            session.scheme, initial=forms.SessionForm.initial_for(session), likely=likely
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.update(session, form.plan(), actor=request.user)
        except services.TrainingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Session saved. Anyone registered is told of a change.")
            return redirect("training:manage_session", slug, pk)
    return render(
        request,
        "training/manage_session_form.html",
        {"scheme": session.scheme, "form": form, "session": session, "active": "training"},
        status=400 if request.method == "POST" else 200,
    )


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_cancel_session(request, slug: str, pk: int):
    session = access.get_session_for_coordinator(request.staff.scheme, pk)
    try:
        services.cancel_session(session, actor=request.user)
    except services.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Session cancelled. Everyone registered is told.")
    return redirect("training:manage_session", slug, pk)


# -- participant -----------------------------------------------------------------------------------


@signed_in
def sessions(request, slug: str):
    """The sessions open to the signed-in participant, with their own place in each."""
    participant = get_own_participation(request.user, slug)
    now = timezone.now()
    mine = Registration.objects.filter(participant=participant)
    qs = access.with_counts(
        access.sessions_for_participant(participant).prefetch_related(
            Prefetch("registrations", queryset=mine, to_attr="mine")
        )
    )
    upcoming = list(
        qs.filter(ends_at__gt=now, status=Session.Status.SCHEDULED).order_by("starts_at", "id")
    )
    for s in upcoming:
        s.reg = s.mine[0] if s.mine else None
    past = [
        s
        for s in qs.filter(ends_at__lte=now).order_by("-starts_at")[:50]
        if s.mine and s.mine[0].status in (CONFIRMED,)
    ]
    return render(
        request,
        "training/sessions.html",
        {
            "scheme": participant.scheme,
            "participant": participant,
            "upcoming": upcoming,
            "past": past,
        },
    )


@signed_in
def session(request, slug: str, pk: int):
    session, participant, reg = access.get_session_for_participant(request.user, slug, pk)
    taken = Registration.objects.filter(session=session, status=CONFIRMED).count()
    reason = services.closed_reason(session)
    if not reason and not (
        services.may_take_part(session, participant) and services.in_audience(session, participant)
    ):
        reason = "This session is not open to you."
    return render(
        request,
        "training/session.html",
        {
            "scheme": session.scheme,
            "session": session,
            "participant": participant,
            "reg": reg,
            "position": services.waitlist_position(reg)
            if reg and reg.status == WAITLISTED
            else None,
            "free": max(session.capacity - taken, 0),
            "closed_reason": reason,
            "started": session.starts_at <= timezone.now(),
            "feedback_open": FeedbackInvitation.objects.filter(
                registration=reg, has_responded=False, closes_on__gte=timezone.localdate()
            ).exists()
            if reg
            else False,
        },
    )


@signed_in
@require_http_methods(["GET", "POST"])
def feedback(request, slug: str, pk: int):
    """The two anonymous questions, for someone who attended and was asked."""
    session, inv = access.get_feedback_invitation(request.user, slug, pk)
    if inv.has_responded:
        messages.info(request, "You have already given feedback on this session. Thank you.")
        return redirect("training:session", slug, pk)
    form = forms.FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_feedback(inv, **form.cleaned_data)
        except services.TrainingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you: your answers are stored without your name.")
            return redirect("training:session", slug, pk)
    return render(
        request,
        "training/feedback.html",
        {"scheme": session.scheme, "session": session, "form": form, "inv": inv},
        status=400 if request.method == "POST" else 200,
    )


@signed_in
@require_POST
def register(request, slug: str, pk: int):
    session, participant, _ = access.get_session_for_participant(request.user, slug, pk)
    try:
        reg = services.register(session, participant, actor=request.user)
    except services.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        if reg.status == CONFIRMED:
            messages.success(request, "Your place is confirmed. We have emailed you an invitation.")
        else:
            messages.success(
                request,
                "The session is full, so you are on the waiting list. If a place opens up, it is "
                "yours and we will email you.",
            )
    return redirect("training:session", slug, pk)


@signed_in
@require_POST
def cancel(request, slug: str, pk: int):
    session, participant, reg = access.get_session_for_participant(request.user, slug, pk)
    if reg is None:
        messages.error(request, "You are not registered for this session.")
        return redirect("training:session", slug, pk)
    try:
        services.cancel_registration(reg, actor=request.user)
    except services.TrainingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your registration is cancelled.")
    return redirect("training:session", slug, pk)


@signed_in
def session_ics(request, slug: str, pk: int):
    """The participant's own calendar file for a session they hold a place at."""
    session, participant, reg = access.get_session_for_participant(request.user, slug, pk)
    if reg is None or reg.status != CONFIRMED:
        messages.error(request, "You hold no place at this session.")
        return redirect("training:session", slug, pk)
    response = HttpResponse(ics.build(session, reg), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ics.filename(session)}"'
    return response


# -- the personal calendar feed --------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def calendar_feed(request):
    """Make, replace or revoke one's own calendar address; the address is shown once."""
    address = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if feed.revoke(request.user, actor=request.user):
                messages.success(request, "Your calendar address no longer works.")
            return redirect("training:calendar_feed")
        address = feed.url(feed.issue(request.user, actor=request.user))
    current = CalendarFeed.objects.filter(user=request.user).first()
    response = render(
        request, "training/calendar_feed.html", {"current": current, "address": address}
    )
    response["Cache-Control"] = "no-store"
    return response


@public
def feed_ics(request, token: str):
    """The calendar a subscription fetches: anyone holding the secret address may read it."""
    found = feed.find(token)
    if found is None:
        raise Http404("No such calendar.")
    response = HttpResponse(feed.calendar(found), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response


# -- the induction pack: coordinator ---------------------------------------------------------------


@scheme_staff(Role.COORDINATOR)
def manage_induction(request, slug: str):
    """The pack in force with completion by item, the draft of the next version, the gate."""
    scheme = request.staff.scheme
    current = induction.current_pack(scheme)
    draft = induction.draft_pack(scheme)
    _, holdups = induction.holdups(scheme)
    return render(
        request,
        "training/manage_induction.html",
        {
            "scheme": scheme,
            "current": current,
            "by_item": induction.completion_by_item(scheme),
            "draft": draft,
            "draft_items": list(draft.items.all()) if draft else [],
            "gate_form": forms.GateForm(instance=TrainingSettings.for_scheme(scheme)),
            "held_back": len(holdups),
            "active": "training",
        },
    )


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_induction_settings(request, slug: str):
    scheme = request.staff.scheme
    form = forms.GateForm(request.POST)
    form.is_valid()
    induction.save_settings(
        scheme,
        mentors_must_complete=bool(form.cleaned_data.get("mentors_must_complete")),
        mentees_must_complete=bool(form.cleaned_data.get("mentees_must_complete")),
        actor=request.user,
    )
    messages.success(request, "Induction settings saved.")
    return redirect("training:manage_induction", slug)


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_induction_draft(request, slug: str):
    try:
        induction.start_draft(request.staff.scheme, actor=request.user)
    except induction.InductionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Draft of the next version started, with the current items.")
    return redirect("training:manage_induction", slug)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_induction_item_new(request, slug: str):
    return _item_form(request, slug, None)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_induction_item(request, slug: str, pk: int):
    return _item_form(
        request, slug, access.get_draft_item_for_coordinator(request.staff.scheme, pk)
    )


def _item_form(request, slug, item):
    scheme = request.staff.scheme
    draft = induction.draft_pack(scheme)
    if draft is None:
        messages.error(request, "Start a draft of the next version first.")
        return redirect("training:manage_induction", slug)
    if request.method == "POST":
        form = forms.ItemForm(request.POST)
    elif item is not None:
        form = forms.ItemForm(initial=forms.ItemForm.initial_for(item))
    else:
        form = forms.ItemForm(initial={"position": draft.items.count() + 1, "required": True})
    if request.method == "POST" and form.is_valid():
        try:
            induction.save_item(draft, form.data_for_service(), item=item, actor=request.user)
        except induction.InductionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Item saved in the draft.")
            return redirect("training:manage_induction", slug)
    return render(
        request,
        "training/manage_induction_item.html",
        {"scheme": scheme, "form": form, "item": item, "draft": draft, "active": "training"},
        status=400 if request.method == "POST" else 200,
    )


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_induction_item_delete(request, slug: str, pk: int):
    item = access.get_draft_item_for_coordinator(request.staff.scheme, pk)
    try:
        induction.delete_item(item, actor=request.user)
    except induction.InductionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Item removed from the draft.")
    return redirect("training:manage_induction", slug)


@scheme_staff(Role.COORDINATOR)
@require_POST
def manage_induction_publish(request, slug: str):
    draft = induction.draft_pack(request.staff.scheme)
    if draft is None:
        messages.error(request, "There is no draft to publish.")
        return redirect("training:manage_induction", slug)
    try:
        induction.publish(draft, actor=request.user)
    except induction.InductionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Version {draft.version} published. Items left unchanged stay done for everyone.",
        )
    return redirect("training:manage_induction", slug)


@scheme_staff(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def manage_induction_holdups(request, slug: str):
    """Who has required items still to do, which, and what the scheme holds back; reminders."""
    scheme = request.staff.scheme
    if request.method == "POST":
        only = [int(v) for v in request.POST.getlist("participant") if is_id(v)]
        n = induction.remind(scheme, actor=request.user, only=only or None)
        messages.success(request, f"Reminder sent to {n} {'person' if n == 1 else 'people'}.")
        return redirect("training:manage_induction_holdups", slug)
    pack, rows = induction.holdups(scheme)
    return render(
        request,
        "training/manage_induction_holdups.html",
        {"scheme": scheme, "pack": pack, "rows": rows, "active": "training"},
    )


# -- the induction pack: participant ---------------------------------------------------------------


@signed_in
def my_induction(request, slug: str):
    participant = get_own_participation(request.user, slug)
    conf = TrainingSettings.for_scheme(participant.scheme)
    return render(
        request,
        "training/induction.html",
        {
            "scheme": participant.scheme,
            "participant": participant,
            "progress": induction.progress(participant),
            "gated_mentor": participant.is_mentor and conf.mentors_must_complete,
            "gated_mentee": participant.is_mentee and conf.mentees_must_complete,
        },
    )


@signed_in
@require_http_methods(["GET", "POST"])
def my_induction_item(request, slug: str, pk: int):
    item, participant = access.get_induction_item_for_participant(request.user, slug, pk)
    form = forms.AnswerForm(item, request.POST or None) if item.kind == "question" else None
    if request.method == "POST":
        valid = form is None or form.is_valid()
        if valid:
            data = form.cleaned_data if form is not None else {}
            try:
                induction.complete_item(
                    participant,
                    item,
                    answer=data.get("answer"),
                    acknowledged=bool(data.get("acknowledged")),
                    actor=request.user,
                )
            except induction.InductionError as exc:
                if form is None:
                    messages.error(request, str(exc))
                else:
                    form.add_error(None, str(exc))
            else:
                messages.success(request, f"“{item.title}” is done.")
                return redirect("training:induction", slug)
    done = (
        ItemCompletion.objects.filter(
            participant=participant, key=item.key, content_hash=item.content_hash
        )
        .values_list("completed_at", flat=True)
        .first()
    )
    return render(
        request,
        "training/induction_item.html",
        {"scheme": participant.scheme, "item": item, "form": form, "done": done},
        status=400 if request.method == "POST" else 200,
    )
