"""Every state change of matching: rounds, dry runs, adjustments, publishing, replies."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from equimentor import engine
from equimentor.core import audit
from equimentor.core.params import is_id
from equimentor.directory import ordering
from equimentor.directory.models import Conflict
from equimentor.engine.core import TOP_CHOICES
from equimentor.engine.validate import RULE_TEXT
from equimentor.enrolment.models import Participant
from equimentor.matching import adapter, emails, queries, reasons, tasks
from equimentor.matching.models import (
    Adjustment,
    MatchingRound,
    MatchingRun,
    Proposal,
    ProposedPair,
    Via,
)
from equimentor.pairing.load import load_of, places_of, with_load


class MatchingError(Exception):
    """A matching action that cannot be carried out, with a message for the person."""


def current_round(scheme) -> MatchingRound | None:
    """The round still in progress (collecting or closed), if any."""
    return scheme.matching_rounds.exclude(status=MatchingRound.Status.PUBLISHED).first()


# -- rounds ----------------------------------------------------------------------------------------


@transaction.atomic
def open_round(scheme, *, actor, name: str = "") -> MatchingRound:
    name_max = MatchingRound._meta.get_field("name").max_length
    if len(name.strip()) > name_max:
        raise MatchingError(f"A round's name can be at most {name_max} characters.")
    if current_round(scheme) is not None:
        raise MatchingError(
            "A matching round is already in progress; publish it before opening another."
        )
    number = scheme.matching_rounds.count() + 1
    matching_round = MatchingRound.objects.create(
        scheme=scheme, name=name.strip() or f"Round {number}"
    )
    audit.record("matching.round.opened", matching_round, actor=actor, scheme=scheme)
    return matching_round


@transaction.atomic
def close_choices(matching_round: MatchingRound, *, actor) -> MatchingRun:
    """Stop choices changing and make the first dry run."""
    matching_round = MatchingRound.objects.select_for_update().get(pk=matching_round.pk)
    if matching_round.status != MatchingRound.Status.COLLECTING:
        raise MatchingError("Choices are already closed for this round.")
    matching_round.status = MatchingRound.Status.CLOSED
    matching_round.closed_at = timezone.now()
    matching_round.save(update_fields=["status", "closed_at"])
    audit.record("matching.round.closed", matching_round, actor=actor, scheme=matching_round.scheme)
    return dry_run(matching_round, actor=actor)


@transaction.atomic
def dry_run(matching_round: MatchingRound, *, actor, stable_only: bool = False) -> MatchingRun:
    """Run the engine around the round's pinned and removed pairs; nobody is told anything."""
    matching_round = (
        MatchingRound.objects.select_for_update().select_related("scheme").get(pk=matching_round.pk)
    )
    if matching_round.status != MatchingRound.Status.CLOSED:
        raise MatchingError("Close choices before running matching.")
    prepared = adapter.build_instance(matching_round)
    try:
        result = engine.match(prepared.instance, stable_only=stable_only)
    except engine.InstanceError as exc:
        raise MatchingError(f"Matching could not run: {exc}") from exc
    # (the engine's counts by group label are not kept: the pages count groups from the pairs)
    figures = {k: v for k, v in result.metrics.items() if k != "groups"}
    run = MatchingRun.objects.create(
        round=matching_round,
        created_by=actor,
        stable_only=stable_only,
        metrics={**figures, "policy": prepared.instance.settings.policy, "places": prepared.places},
        unmatched=[
            {"mentee": u.mentee, "reason": u.reason, "cause": u.cause} for u in result.unmatched
        ],
    )
    assignments = list(result.assignments)
    named = set().union(*(reasons.dropped_choice_ids(a.reasons) for a in assignments))
    names = {
        str(pk): name
        for pk, name in Participant.objects.filter(
            pk__in=[int(x) for x in named if is_id(x)]
        ).values_list("pk", "user__full_name")
    }
    explained = adapter.explained_pairs(matching_round.scheme) if named else set()

    def untold(a) -> set[str]:
        """Dropped choices kept apart for a reason this mentee is not told."""
        return {
            who
            for who, why in reasons.dropped_choices(a.reasons)
            if why == RULE_TEXT["forbidden"]
            and is_id(who)
            and (a.mentee, int(who)) not in explained
        }

    ProposedPair.objects.bulk_create(
        [
            ProposedPair(
                run=run,
                mentee_id=a.mentee,
                mentor_id=a.mentor,
                via=a.via,
                choice_rank=a.choice_rank,
                score=a.score,
                reasons=reasons.name_dropped_choices(a.reasons, names, untold(a)),
                components=a.components,
            )
            for a in assignments
        ]
    )
    audit.record(
        "matching.run.made",
        run,
        actor=actor,
        scheme=matching_round.scheme,
        stable_only=stable_only,
        matched=result.metrics.get("matched"),
        mentees=result.metrics.get("mentees"),
    )
    return run


# -- the coordinator's adjustments -----------------------------------------------------------------


def check_pair(
    matching_round: MatchingRound, mentee: Participant, mentor: Participant, *, extra_load: int = 0
) -> None:
    """Raise :class:`MatchingError` if this pair breaks a hard rule or the mentor's capacity."""
    scheme = matching_round.scheme
    if mentee.scheme_id != scheme.pk or mentor.scheme_id != scheme.pk:
        raise MatchingError("Both people must belong to this scheme.")
    if mentee.pk == mentor.pk:
        raise MatchingError("Nobody can be matched with themselves.")
    if not (mentee.is_mentee and mentee.status == Participant.Status.APPROVED):
        raise MatchingError("The mentee must be an approved mentee.")
    if not (mentor.is_mentor and mentor.status == Participant.Status.APPROVED):
        raise MatchingError("The mentor must be an approved mentor.")
    if scheme.different_institutions and mentee.institution_id == mentor.institution_id:
        raise MatchingError("This scheme matches people from different institutions only.")
    if Conflict.objects.filter(mentee=mentee, mentor=mentor).exists():
        raise MatchingError("The mentee named this mentor as a conflict of interest.")
    if (mentee.pk, mentor.pk) in adapter.forbidden_pairs(scheme):
        raise MatchingError("This pair declined each other before and is never proposed again.")
    if load_of(mentor.pk) + extra_load >= (mentor.mentor_capacity or 0):
        raise MatchingError("This mentor has no free place.")


def _locked_for_adjustment(matching_round: MatchingRound) -> MatchingRound:
    """The round, locked, if it is between closing choices and publishing."""
    matching_round = (
        MatchingRound.objects.select_for_update().select_related("scheme").get(pk=matching_round.pk)
    )
    if matching_round.status != MatchingRound.Status.CLOSED:
        raise MatchingError("Pairs can be adjusted only between closing choices and publishing.")
    return matching_round


REMOVED_REASON = "the coordinator removed the proposed pair: run matching again"


def _set_unmatched(run: MatchingRun, mentee: Participant, reason: str | None) -> None:
    """List ``mentee`` among the run's unmatched with ``reason``, or take them off (``None``).

    Keeps the round page's numbers and "Not matched" in step with the pairs after an adjustment.
    """
    unmatched = [u for u in run.unmatched if u["mentee"] != mentee.pk]
    if reason is not None:
        unmatched.append({"mentee": mentee.pk, "reason": reason})
    if unmatched != run.unmatched:
        run.unmatched = unmatched
        run.save(update_fields=["unmatched"])


def _refresh_metrics(run: MatchingRun) -> None:
    """Recount the run's stored figures (the API's summary) from its pairs after an adjustment.

    The stability check is not re-run: ``blocking_pairs`` becomes None and ``adjusted`` True.
    """
    pairs = list(run.pairs.only("via", "choice_rank", "score"))
    by_choice = [p.choice_rank for p in pairs if p.via == Via.CHOICE and p.choice_rank]
    scores = [p.score for p in pairs if p.score is not None]
    run.metrics = {
        **run.metrics,
        "mentees": len(pairs) + len(run.unmatched),
        "matched": len(pairs),
        "first_choice": sum(1 for r in by_choice if r == 1),
        "top_choices": sum(1 for r in by_choice if r <= TOP_CHOICES),
        "fallback": sum(1 for p in pairs if p.via == Via.FALLBACK),
        "pinned": sum(1 for p in pairs if p.via == Via.PINNED),
        "unmatched": len(run.unmatched),
        "mean_score": round(sum(scores) / len(scores), 4) if scores else None,
        "blocking_pairs": None,
        "adjusted": True,
    }
    run.save(update_fields=["metrics"])


def _latest_pairs(matching_round):
    run = matching_round.latest_run
    return run, (list(run.pairs.all()) if run else [])


@transaction.atomic
def pin_pair(
    matching_round: MatchingRound, mentee: Participant, mentor: Participant, *, actor
) -> Adjustment:
    """Keep a pair (from the run, or a new one the coordinator adds) in every later run."""
    matching_round = _locked_for_adjustment(matching_round)
    run, pairs = _latest_pairs(matching_round)
    in_run = any(p.mentee_id == mentee.pk and p.mentor_id == mentor.pk for p in pairs)
    if not in_run:
        others = sum(1 for p in pairs if p.mentor_id == mentor.pk and p.mentee_id != mentee.pk)
        check_pair(matching_round, mentee, mentor, extra_load=others)
    adjustment, _ = Adjustment.objects.update_or_create(
        round=matching_round, mentee=mentee, mentor=mentor, defaults={"kind": Adjustment.Kind.PIN}
    )
    Adjustment.objects.filter(
        round=matching_round, mentee=mentee, kind=Adjustment.Kind.PIN
    ).exclude(mentor=mentor).delete()
    if run is not None and not in_run:
        run.pairs.filter(mentee=mentee).delete()
        _set_unmatched(run, mentee, None)
        ProposedPair.objects.create(
            run=run,
            mentee=mentee,
            mentor=mentor,
            via=Via.PINNED,
            reasons=["added by the scheme coordinator"],
        )
        _refresh_metrics(run)
    audit.record(
        "matching.pair.pinned",
        adjustment,
        actor=actor,
        scheme=matching_round.scheme,
        mentee_id=mentee.pk,
        mentor_id=mentor.pk,
        added=not in_run,
    )
    return adjustment


@transaction.atomic
def remove_pair(
    matching_round: MatchingRound, mentee: Participant, mentor: Participant, *, actor
) -> Adjustment:
    """Keep a pair apart in this round's later runs, and drop it from the current run."""
    matching_round = _locked_for_adjustment(matching_round)
    adjustment, _ = Adjustment.objects.update_or_create(
        round=matching_round,
        mentee=mentee,
        mentor=mentor,
        defaults={"kind": Adjustment.Kind.EXCLUDE},
    )
    run = matching_round.latest_run
    if run is not None and run.pairs.filter(mentee=mentee, mentor=mentor).delete()[0]:
        _set_unmatched(run, mentee, REMOVED_REASON)
        _refresh_metrics(run)
    audit.record(
        "matching.pair.removed",
        adjustment,
        actor=actor,
        scheme=matching_round.scheme,
        mentee_id=mentee.pk,
        mentor_id=mentor.pk,
    )
    return adjustment


# -- publishing and replies --------------------------------------------------------------------------


@transaction.atomic
def publish(matching_round: MatchingRound, *, actor) -> list[Proposal]:
    """Turn the latest run into proposals; each side is emailed its proposal and the reason by a
    task once this commits (:func:`matching.tasks.email_proposals`)."""
    matching_round = MatchingRound.objects.select_for_update().get(pk=matching_round.pk)
    if matching_round.status != MatchingRound.Status.CLOSED:
        raise MatchingError("Only a round with closed choices and a dry run can be published.")
    run = matching_round.latest_run
    if run is None:
        raise MatchingError("Run matching before publishing.")
    pairs = list(run.pairs.all())  # ids only: nothing here reads the people (the emails do)
    now = timezone.now()
    # The run's mentors, named by a subquery (not thousands of ids sent back and forth).
    mentors = Participant.objects.filter(pk__in=run.pairs.values("mentor_id"))
    # Lock every mentor of the run at once (in id order, so two publishers cannot deadlock),
    # then read their current loads in one query.
    list(mentors.select_for_update().order_by("pk").values("pk"))
    loads = {
        pk: (load, capacity or 0)
        for pk, load, capacity in with_load(mentors).values_list("pk", "load", "mentor_capacity")
    }
    used: dict[int, int] = {}
    proposals = []
    for pair in pairs:
        load, capacity = loads[pair.mentor_id]
        used[pair.mentor_id] = used.get(pair.mentor_id, load) + 1
        if used[pair.mentor_id] > capacity:
            raise MatchingError(
                "A mentor's capacity changed since the run; run matching again before publishing."
            )
        proposals.append(proposal_from(matching_round, pair, now))
    proposals = Proposal.objects.bulk_create(proposals, batch_size=1000)
    ordering.changed(matching_round.scheme_id)  # (bulk_create sends no signal)
    matching_round.status = MatchingRound.Status.PUBLISHED
    matching_round.published_at = now
    matching_round.save(update_fields=["status", "published_at"])
    audit.record(
        "matching.round.published",
        matching_round,
        actor=actor,
        scheme=matching_round.scheme,
        run_id=run.pk,
        proposals=len(proposals),
    )
    audit.record_many(
        "matching.proposal.made",
        proposals,
        actor=actor,
        scheme=matching_round.scheme,
        data=lambda proposal: {"via": proposal.via, "choice_rank": proposal.choice_rank},
    )
    # Thousands of emails are rendered and sent by a task, not in this request.
    if proposals:
        round_id = matching_round.pk
        transaction.on_commit(lambda: tasks.email_proposals.enqueue(round_id), robust=True)
    return proposals


def side_of(proposal: Proposal, participant: Participant) -> str:
    if participant.pk == proposal.mentee_id:
        return "mentee"
    if participant.pk == proposal.mentor_id:
        return "mentor"
    raise MatchingError("This proposal is not yours.")


# What an accepted proposal starts, registered by the app that owns it (relationships, in its
# AppConfig.ready(): ``start_from_proposal``), so matching never imports the apps above it
# (docs/architecture.md, "Layers"). Called inside reply()'s transaction, with the mentor's row
# locked: a relationship is started exactly when a proposal is accepted, or neither happens.
_WHEN_ACCEPTED: list = []


def when_accepted(then) -> None:
    """Register ``then(proposal, actor)``, run when both sides have accepted a proposal."""
    if then not in _WHEN_ACCEPTED:
        _WHEN_ACCEPTED.append(then)


def proposal_from(matching_round: MatchingRound, pair, now) -> Proposal:
    """The proposal a run's pair becomes when the round is published (unsaved): publishing
    stores these, and the confirmation page previews their emails from one of them."""
    return Proposal(
        scheme=matching_round.scheme,
        round=matching_round,
        mentee_id=pair.mentee_id,
        mentor_id=pair.mentor_id,
        via=pair.via,
        choice_rank=pair.choice_rank,
        score=pair.score,
        reasons=pair.reasons,
        proposed_at=now,
    )


@transaction.atomic
def reply(
    proposal: Proposal, participant: Participant, *, accept: bool, note: str = "", actor
) -> Proposal:
    """Accept or decline a proposal. Declining needs no reason; a note goes to the coordinator only.

    The mentor's row is locked while an acceptance is counted, so two acceptances arriving at the
    same moment can never take a mentor past their capacity.
    """
    side = side_of(proposal, participant)
    mentor = Participant.objects.select_for_update().get(pk=proposal.mentor_id)
    proposal = (
        Proposal.objects.select_for_update()
        .select_related("mentee__user", "mentor__user")
        .get(pk=proposal.pk)
    )
    if proposal.status != Proposal.Status.PROPOSED:
        raise MatchingError("This proposal has already been decided.")
    now = timezone.now()
    setattr(proposal, f"{side}_reply", Proposal.Reply.ACCEPT if accept else Proposal.Reply.DECLINE)
    setattr(proposal, f"{side}_replied_at", now)
    setattr(proposal, f"{side}_note", note.strip())
    fields = [f"{side}_reply", f"{side}_replied_at", f"{side}_note"]
    if not accept:
        proposal.status = Proposal.Status.DECLINED
        proposal.decided_at = now
        fields += ["status", "decided_at"]
    elif (
        proposal.mentee_reply == Proposal.Reply.ACCEPT
        and proposal.mentor_reply == Proposal.Reply.ACCEPT
    ):
        if places_of(mentor.pk) >= (mentor.mentor_capacity or 0):
            raise MatchingError(
                "This mentor has no free place any more; the coordinator will be in touch."
            )
        proposal.status = Proposal.Status.ACCEPTED
        proposal.decided_at = now
        fields += ["status", "decided_at"]
    proposal.save(update_fields=fields)
    audit.record(
        f"matching.proposal.{'accepted' if accept else 'declined'}",
        proposal,
        actor=actor,
        scheme=proposal.scheme,
        side=side,
        status=proposal.status,
    )
    if proposal.status == Proposal.Status.ACCEPTED:
        if not _WHEN_ACCEPTED:
            raise RuntimeError("Nothing starts a relationship from an accepted proposal.")
        for then in _WHEN_ACCEPTED:
            then(proposal, actor)
        emails.match_confirmed(proposal)
    elif proposal.status == Proposal.Status.DECLINED:
        emails.match_not_going_ahead(proposal, to_side="mentor" if side == "mentee" else "mentee")
    return proposal


@transaction.atomic
def decline_for_leaver(participant: Participant, *, actor) -> int:
    """Someone left the scheme: every proposal still waiting that names them (whether or not
    they had replied) is declined on their side, and the other side is told the match will not
    go ahead, never why (a mentee stays in the next round; a mentor's place is free again).
    Returns how many were declined."""
    waiting = queries.waiting_naming(participant).order_by("pk")
    declined = 0
    for proposal in waiting:
        reply(proposal, participant, accept=False, actor=actor)
        declined += 1
    return declined
