"""Matching pages: the coordinator's rounds and dry runs, and each participant's proposals."""

from __future__ import annotations

import statistics
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, F, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from equimentor.core.access import signed_in
from equimentor.core.disclosure import rules_for
from equimentor.core.params import is_id
from equimentor.core.roles import Role
from equimentor.enrolment.access import get_own_participation
from equimentor.enrolment.models import Participant
from equimentor.matching import emails, metrics, services
from equimentor.matching.access import get_own_proposal, get_round_for_coordinator
from equimentor.matching.adapter import (
    LEFT_OUT,
    available_mentors,
    eligible_mentees,
    left_out_mentees,
)
from equimentor.matching.forms import PairForm, ReplyForm
from equimentor.matching.models import MatchingRound, Proposal
from equimentor.matching.queries import accepted_with_date, days_to_match
from equimentor.matching.reasons import for_coordinator, reasons_for
from equimentor.pairing.load import count_of
from equimentor.staff.access import scheme_staff

COORDINATOR = Role.COORDINATOR


@scheme_staff(COORDINATOR)
def rounds(request, slug: str):
    """The scheme's matching rounds and the proposals they made."""
    scheme = request.staff.scheme
    all_rounds = scheme.matching_rounds.annotate(
        n_proposals=Count("proposals"),
        n_accepted=Count("proposals", filter=Q(proposals__status=Proposal.Status.ACCEPTED)),
    )
    return render(
        request,
        "matching/rounds.html",
        {
            "scheme": scheme,
            "rounds": all_rounds,
            "current": services.current_round(scheme),
            "waiting": eligible_mentees(scheme).count(),
            "with_choices": eligible_mentees(scheme)
            .filter(choices__isnull=False)
            .distinct()
            .count(),
        },
    )


@scheme_staff(COORDINATOR)
@require_POST
def open_round(request, slug: str):
    scheme = request.staff.scheme
    try:
        matching_round = services.open_round(
            scheme, actor=request.user, name=request.POST.get("name", "")
        )
    except services.MatchingError as exc:
        messages.error(request, str(exc))
        return redirect("matching:rounds", slug)
    messages.success(
        request, f"{matching_round.name} is open: mentees can make and change their choices."
    )
    return redirect("matching:round", slug, matching_round.pk)


@scheme_staff(COORDINATOR)
def round_detail(request, slug: str, pk: int):
    """The latest dry run: its numbers, by group, each pair with its reasons, and adjustments."""
    matching_round = get_round_for_coordinator(request.staff.scheme, pk)
    scheme = matching_round.scheme
    run = matching_round.latest_run
    threshold = rules_for(scheme).threshold
    context = {
        "scheme": scheme,
        "round": matching_round,
        "run": run,
        "groupings": metrics.groupings(scheme),
        "threshold": threshold,
    }
    if matching_round.status != MatchingRound.Status.PUBLISHED:
        context["left_out"] = [
            {"participant": x.participant, "text": LEFT_OUT[x.reason], "since": x.since}
            for x in left_out_mentees(scheme)
        ]
    if run is not None:
        tables = metrics.run_tables(run, request.GET.get("by", "institution"), threshold)
        pairs = list(
            run.pairs.select_related(
                "mentee__user", "mentee__institution", "mentor__user", "mentor__institution"
            )
        )
        unmatched_ids = [u["mentee"] for u in run.unmatched]
        people = Participant.objects.in_bulk(unmatched_ids)
        pinned = set(
            matching_round.adjustments.filter(kind="pin").values_list("mentee_id", "mentor_id")
        )
        context.update(
            {
                "tables": tables,
                "overall": tables.overall,
                "rows": tables.rows,
                "by": tables.by,
                "columns": metrics.COLUMNS,
                "rate_columns": metrics.RATE_COLUMNS,
                "mentor_columns": metrics.MENTOR_COLUMNS,
                "pairs": [(p, (p.mentee_id, p.mentor_id) in pinned) for p in pairs],
                "unmatched": [
                    (people.get(u["mentee"]), for_coordinator(u["reason"])) for u in run.unmatched
                ],
                "seconds": run.metrics.get("seconds"),
            }
        )
        if matching_round.status == MatchingRound.Status.CLOSED:
            matched = {p.mentee_id for p in pairs}
            context["pair_form"] = PairForm(
                scheme,
                initial={k: request.GET[k] for k in ("mentee", "mentor") if k in request.GET},
                mentees=eligible_mentees(scheme)
                .exclude(pk__in=matched)
                .select_related("user", "institution"),
                # mentors with a place left once this dry run's pairs are counted
                mentors=available_mentors(scheme)
                .annotate(in_run=count_of(run.pairs.filter(mentor=OuterRef("pk"))))
                .filter(free__gt=F("in_run"))
                .select_related("user", "institution"),
            )
    return render(request, "matching/round.html", context)


def _act(request, slug, pk, action, on_error=None):
    matching_round = get_round_for_coordinator(request.staff.scheme, pk)
    try:
        message = action(matching_round)
    except services.MatchingError as exc:
        messages.error(request, str(exc))
        if on_error:
            return redirect(on_error)
    else:
        messages.success(request, message)
    return redirect("matching:round", slug, pk)


@scheme_staff(COORDINATOR)
@require_POST
def close_choices(request, slug: str, pk: int):
    def action(r):
        run = services.close_choices(r, actor=request.user)
        return f"Choices are closed. Dry run: {run.metrics['matched']} of {run.metrics['mentees']} mentees matched."

    return _act(request, slug, pk, action)


@scheme_staff(COORDINATOR)
@require_POST
def rerun(request, slug: str, pk: int):
    def action(r):
        run = services.dry_run(
            r, actor=request.user, stable_only=bool(request.POST.get("stable_only"))
        )
        return f"New dry run: {run.metrics['matched']} of {run.metrics['mentees']} mentees matched."

    return _act(request, slug, pk, action)


@scheme_staff(COORDINATOR)
@require_POST
def adjust(request, slug: str, pk: int):
    """Pin a pair, remove a pair, or add a pair the coordinator chooses."""
    matching_round = get_round_for_coordinator(request.staff.scheme, pk)
    form = PairForm(matching_round.scheme, request.POST)
    # A refused "Add a pair" comes back with the people chosen still selected.
    chosen = {k: request.POST[k] for k in ("mentee", "mentor") if is_id(request.POST.get(k))}
    again = (
        f"{reverse('matching:round', args=[slug, pk])}?{urlencode(chosen)}"
        if request.POST.get("add") and chosen
        else reverse("matching:round", args=[slug, pk])
    )
    if not form.is_valid():
        messages.error(request, "Choose a mentee and a mentor of this scheme.")
        return redirect(again)
    mentee, mentor = form.cleaned_data["mentee"], form.cleaned_data["mentor"]
    kind = request.POST.get("kind")
    if kind not in ("pin", "remove"):
        messages.error(request, "Choose whether to pin or to remove the pair.")
        return redirect(again)

    def action(r):
        if kind == "remove":
            services.remove_pair(r, mentee, mentor, actor=request.user)
            return "Pair removed. Run matching again to find this mentee another mentor."
        services.pin_pair(r, mentee, mentor, actor=request.user)
        return "Pair pinned: it stays in every later dry run."

    return _act(request, slug, pk, action, on_error=again)


@scheme_staff(COORDINATOR)
@require_http_methods(["GET", "POST"])
def publish(request, slug: str, pk: int):
    """GET: what publishing will do (how many proposals and emails, who is left unmatched) and
    the two emails of the first pair as they will be sent; POST: publish."""
    if request.method == "GET":
        matching_round = get_round_for_coordinator(request.staff.scheme, pk)
        run = matching_round.latest_run
        if matching_round.status != MatchingRound.Status.CLOSED or run is None:
            messages.error(
                request, "Only a round with closed choices and a dry run can be published."
            )
            return redirect("matching:round", slug, pk)
        pairs = list(run.pairs.select_related("mentee__user", "mentor__user").order_by("pk"))
        first = None
        if pairs:
            first = services.proposal_from(matching_round, pairs[0], timezone.now())
            first.mentee, first.mentor = pairs[0].mentee, pairs[0].mentor
        return render(
            request,
            "matching/publish.html",
            {
                "scheme": request.staff.scheme,
                "round": matching_round,
                "run": run,
                "pairs": len(pairs),
                "mentees": len({p.mentee_id for p in pairs}),
                "mentors": len({p.mentor_id for p in pairs}),
                "unmatched": max(run.metrics.get("mentees", 0) - run.metrics.get("matched", 0), 0),
                "first": first,
                "previews": emails.preview_proposal(first) if first else [],
            },
        )

    def action(r):
        proposals = services.publish(r, actor=request.user)
        if not proposals:
            return "The round is closed with no proposals: nobody has been emailed."
        return (
            f"Published {len(proposals)} proposals. Each person is being emailed: the Emails "
            "page shows when each email has gone."
        )

    return _act(request, slug, pk, action)


@scheme_staff(COORDINATOR)
def proposals(request, slug: str):
    """Every published proposal with its state and the time it took to match."""
    scheme = request.staff.scheme
    rows = (
        Proposal.objects.filter(scheme=scheme)
        .select_related("mentee__user", "mentor__user", "round")
        .order_by("-proposed_at", "-id")
    )
    status = request.GET.get("status", "")
    if status in Proposal.Status.values:
        rows = rows.filter(status=status)
    days = days_to_match(accepted_with_date(scheme)).get((), [])
    median = round(statistics.median(days)) if days else None
    return render(
        request,
        "matching/proposals.html",
        {
            "scheme": scheme,
            "proposals": rows[:500],
            "status": status,
            "statuses": Proposal.Status.choices,
            "median_days": median,
            "n_accepted": len(days),
        },
    )


@signed_in
def my_proposals(request, slug: str):
    """A participant's proposals, as mentee and as mentor, with accept / decline."""
    participant = get_own_participation(request.user, slug)
    return _render_proposals(request, participant)


def _render_proposals(request, participant, *, failed: tuple[int, ReplyForm] | None = None):
    """The proposals page; ``failed`` = (proposal id, its refused form), shown as typed."""
    mine = (
        Proposal.objects.filter(Q(mentee=participant) | Q(mentor=participant))
        .select_related(
            "mentee__user", "mentee__institution", "mentor__user", "mentor__institution"
        )
        .order_by("-proposed_at")
    )
    items = []
    for p in mine:
        side = "mentee" if p.mentee_id == participant.pk else "mentor"
        other = p.mentor if side == "mentee" else p.mentee
        items.append(
            {
                "proposal": p,
                "side": side,
                "other": other,
                "reasons": reasons_for(p.reasons, side),
                "my_reply": Proposal.Reply(getattr(p, f"{side}_reply")).label.lower()
                if getattr(p, f"{side}_reply")
                else "",
                "form": failed[1] if failed and failed[0] == p.pk else None,
            }
        )
    return render(
        request,
        "matching/my_proposals.html",
        {
            "participant": participant,
            "scheme": participant.scheme,
            "items": items,
            "form": ReplyForm(),
        },
        status=400 if failed else 200,
    )


@signed_in
@require_POST
def reply(request, slug: str, pk: int):
    proposal, participant = get_own_proposal(request.user, slug, pk)
    form = ReplyForm(request.POST)
    accept = request.POST.get("answer") == "accept"
    if request.POST.get("answer") not in {"accept", "decline"}:
        messages.error(request, "Please choose accept or decline.")
        return redirect("matching:my_proposals", slug)
    if not form.is_valid():  # (a note too long): the page again, with the note as typed
        return _render_proposals(request, participant, failed=(proposal.pk, form))
    try:
        services.reply(
            proposal, participant, accept=accept, note=form.cleaned_data["note"], actor=request.user
        )
    except services.MatchingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "Thank you: you accepted."
            if accept
            else "You declined. The other person is told only that the match will not go ahead.",
        )
    return redirect("matching:my_proposals", slug)
