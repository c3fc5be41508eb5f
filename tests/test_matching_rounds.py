from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory.models import Conflict
from equimentor.engine import instance_to_dict
from equimentor.matching import services
from equimentor.matching.adapter import build_instance, eligible_mentees
from equimentor.matching.models import Adjustment, MatchingRound, Proposal
from tests import factories
from tests.matching_setup import choose, people


def make_rows():
    """Scheme A, alice, and 3 mentors and 4 mentees (``people``): registered once for this
    module's tests."""
    scheme_a = factories.scheme_a()
    alice = factories.alice(scheme_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        mentors, mentees = people(scheme_a, alice)
    mail.outbox.clear()
    return scheme_a, alice, (mentors, mentees)


scheme_a, alice, setup = factories.rows_as("scheme_a", "alice", "setup")


def test_a_round_from_choices_to_proposals(
    client, scheme_a, alice, setup, django_capture_on_commit_callbacks
):
    mentors, mentees = setup
    choose(mentees[0], mentors[0], mentors[1])
    choose(mentees[1], mentors[1], mentors[0])
    choose(mentees[2], mentors[2])
    client.force_login(alice)
    client.post(reverse("matching:open_round", args=["scheme-a"]))
    matching_round = MatchingRound.objects.get()
    response = client.post(
        reverse("matching:close_choices", args=["scheme-a", matching_round.pk]), follow=True
    )
    assert "Dry run: 3 of 4 mentees matched." in response.content.decode()
    run = matching_round.latest_run
    assert run.metrics["blocking_pairs"] == 0
    by_mentee = {p.mentee_id: p for p in run.pairs.all()}
    assert by_mentee[mentees[0].pk].mentor_id == mentors[0].pk
    assert by_mentee[mentees[0].pk].choice_rank == 1
    assert "your 1st choice" in by_mentee[mentees[0].pk].reasons
    # nobody is told anything before publishing
    assert mail.outbox == []
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    assert page.status_code == 200
    assert "All mentees" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:publish", args=["scheme-a", matching_round.pk]), follow=True
        )
    assert "Each person is being emailed" in response.content.decode()
    proposals = Proposal.objects.all()
    assert proposals.count() == run.pairs.count()
    assert len(mail.outbox) == 2 * proposals.count()
    to_mentee = next(m for m in mail.outbox if m.to == [mentees[0].user.email])
    assert "your 1st choice" in to_mentee.body
    assert "Why this match" in to_mentee.body
    to_mentor = next(m for m in mail.outbox if m.to == [mentors[0].user.email])
    assert "you were their 1st choice" in to_mentor.body
    matching_round.refresh_from_db()
    assert matching_round.status == "published"


def test_capacity_is_never_exceeded_and_fallback_fills(scheme_a, alice, setup):
    mentors, mentees = setup
    for mentee in mentees:
        choose(mentee, mentors[0])
    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    loads = {}
    for pair in run.pairs.all():
        loads[pair.mentor_id] = loads.get(pair.mentor_id, 0) + 1
    assert all(n <= 1 for n in loads.values())
    assert run.metrics["matched"] == 3  # three mentors with one place each
    assert sum(1 for p in run.pairs.all() if p.via == "fallback") == 2
    assert len(run.unmatched) == 1


def test_the_instance_holds_the_choices_as_positions_in_rank_order(scheme_a, alice, setup):
    """The adapter hands the engine each mentee's choices as mentor positions (columnar: the
    engine looks up no id per choice), in the mentee's rank order, cut at the scheme's
    ``max_choices``, whatever order the mentees and the rows come in."""
    mentors, mentees = setup
    choose(mentees[2], mentors[2], mentors[0], mentors[1])
    choose(mentees[0], mentors[1], mentors[2])
    choose(mentees[3], mentors[0])
    scheme_a.max_choices = 2
    scheme_a.save(update_fields=["max_choices"])
    matching_round = services.open_round(scheme_a, actor=alice)
    instance = build_instance(matching_round).instance
    assert instance.choices is not None
    assert not any(m.choices for m in instance.mentees)
    assert {row["id"]: row["choices"] for row in instance_to_dict(instance)["mentees"]} == {
        mentees[0].pk: [mentors[1].pk, mentors[2].pk],
        mentees[1].pk: [],
        mentees[2].pk: [mentors[2].pk, mentors[0].pk],
        mentees[3].pk: [mentors[0].pk],
    }


def test_hard_rules_in_the_instance(scheme_a, alice, setup):
    mentors, mentees = setup
    Conflict.objects.create(mentee=mentees[0], mentor=mentors[1], reason="supervisor")
    matching_round = services.open_round(scheme_a, actor=alice)
    instance = build_instance(matching_round).instance
    assert instance.settings.different_institutions is False
    mentee = next(m for m in instance.mentees if m.id == mentees[0].pk)
    assert mentee.avoid == [mentors[1].pk]
    # identity answers reach the engine only with consent to use them in matching
    assert mentee.attributes.get("ethnicity") == "asian"
    from equimentor.enrolment.consents import withdraw_consent

    withdraw_consent(mentees[0], "identity_matching", actor=None)
    mentee = next(
        m for m in build_instance(matching_round).instance.mentees if m.id == mentees[0].pk
    )
    assert "ethnicity" not in mentee.attributes


def test_adjustments_pin_remove_add(client, scheme_a, alice, setup):
    mentors, mentees = setup
    choose(mentees[0], mentors[0])
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    url = reverse("matching:adjust", args=["scheme-a", matching_round.pk])
    client.post(url, {"mentee": mentees[0].pk, "mentor": mentors[0].pk, "kind": "remove"})
    assert Adjustment.objects.get().kind == "exclude"
    services.dry_run(matching_round, actor=alice)
    pairs = {(p.mentee_id, p.mentor_id) for p in matching_round.latest_run.pairs.all()}
    assert (mentees[0].pk, mentors[0].pk) not in pairs
    # adding a pair to a full mentor is refused with a clear message
    taken = next(p for p in matching_round.latest_run.pairs.all())
    other_mentee = next(m for m in mentees if m.pk != taken.mentee_id)
    response = client.post(
        url, {"mentee": other_mentee.pk, "mentor": taken.mentor_id, "kind": "pin"}, follow=True
    )
    assert "no free place" in response.content.decode()
    # pinning a pair of the run keeps it in the next run
    client.post(url, {"mentee": taken.mentee_id, "mentor": taken.mentor_id, "kind": "pin"})
    services.dry_run(matching_round, actor=alice)
    assert matching_round.latest_run.pairs.filter(
        mentee_id=taken.mentee_id, mentor_id=taken.mentor_id
    ).exists()


def test_adding_a_pair_keeps_the_cross_institution_rule(scheme_a, alice, setup):
    mentors, mentees = setup
    scheme_a.different_institutions = True
    scheme_a.save()
    mentors[0].institution = mentees[0].institution
    mentors[0].save(update_fields=["institution"])
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    services.remove_pair(matching_round, mentees[0], mentors[1], actor=alice)
    with pytest.raises(services.MatchingError, match="different institutions"):
        services.pin_pair(matching_round, mentees[0], mentors[0], actor=alice)


def _published(scheme, alice, mentors, mentees, capture):
    choose(mentees[0], mentors[0])
    matching_round = services.open_round(scheme, actor=alice)
    services.close_choices(matching_round, actor=alice)
    with capture(execute=True):
        services.publish(matching_round, actor=alice)
    return Proposal.objects.get(mentee=mentees[0])


def test_both_accept(client, scheme_a, alice, setup, django_capture_on_commit_callbacks):
    mentors, mentees = setup
    proposal = _published(scheme_a, alice, mentors, mentees, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(mentees[0].user)
    url = reverse("matching:reply", args=["scheme-a", proposal.pk])
    client.post(url, {"answer": "accept"})
    client.force_login(mentors[0].user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"answer": "accept"})
    proposal.refresh_from_db()
    assert proposal.status == "accepted"
    assert proposal.days_to_match == 0
    assert {m.to[0] for m in mail.outbox} == {mentees[0].user.email, mentors[0].user.email}
    assert not eligible_mentees(scheme_a).filter(pk=mentees[0].pk).exists()


def test_a_decline_is_private_and_frees_the_mentee(
    client, scheme_a, alice, setup, django_capture_on_commit_callbacks
):
    mentors, mentees = setup
    proposal = _published(scheme_a, alice, mentors, mentees, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(mentors[0].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:reply", args=["scheme-a", proposal.pk]),
            {"answer": "decline", "note": "We worked together and fell out."},
            follow=True,
        )
    assert "told only that the match will not go ahead" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == "declined"
    assert proposal.mentor_note == "We worked together and fell out."
    assert [m.to for m in mail.outbox] == [[mentees[0].user.email]]
    assert "fell out" not in mail.outbox[0].body
    assert "will not go ahead" in mail.outbox[0].body
    # back in the next run, and never with the same mentor again
    assert eligible_mentees(scheme_a).filter(pk=mentees[0].pk).exists()
    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    assert not run.pairs.filter(mentee=mentees[0], mentor=mentors[0]).exists()
    assert "fell out" not in str(AuditEvent.objects.values_list("data", flat=True))


def test_nobody_else_can_reply(client, scheme_a, alice, setup, django_capture_on_commit_callbacks):
    mentors, mentees = setup
    proposal = _published(scheme_a, alice, mentors, mentees, django_capture_on_commit_callbacks)
    client.force_login(mentees[1].user)
    response = client.post(
        reverse("matching:reply", args=["scheme-a", proposal.pk]), {"answer": "decline"}
    )
    assert response.status_code == 404
    proposal.refresh_from_db()
    assert proposal.status == "proposed"


def test_another_schemes_coordinator_gets_nothing(client, scheme_a, alice, charlie, setup):
    matching_round = services.open_round(scheme_a, actor=alice)
    client.force_login(charlie)
    for name, args in [
        ("rounds", ["scheme-a"]),
        ("round", ["scheme-a", matching_round.pk]),
        ("proposals", ["scheme-a"]),
    ]:
        assert client.get(reverse(f"matching:{name}", args=args)).status_code == 403
    # another scheme's round is not found under the coordinator's own scheme
    url = reverse("matching:round", args=["scheme-b", matching_round.pk])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("matching:close_choices", args=["scheme-a", matching_round.pk])
        ).status_code
        == 403
    )
    matching_round.refresh_from_db()
    assert matching_round.status == "collecting"
    evaluator = factories.make_staff(scheme_a, "evaluator")
    client.force_login(evaluator)
    assert client.get(reverse("matching:rounds", args=["scheme-a"])).status_code == 403


def test_round_page_queries_do_not_grow_with_pairs(client, db, django_capture_on_commit_callbacks):
    # a scheme of its own: 2 mentors and 2 mentees, then 6 and 6 more
    scheme = factories.make_scheme(name="Scheme Q", slug="scheme-q")
    coordinator = factories.make_staff(scheme, email="quinn@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        people(scheme, coordinator, mentors=2, mentees=2, tag="q")
    matching_round = services.open_round(scheme, actor=coordinator)
    services.close_choices(matching_round, actor=coordinator)
    client.force_login(coordinator)
    url = reverse("matching:round", args=["scheme-q", matching_round.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(6):
            factories.register_participant(
                scheme, f"extra-mentor{i}@example.org", role="mentor", approve_by=coordinator
            )
            factories.register_participant(
                scheme, f"extra-mentee{i}@example.org", role="mentee", approve_by=coordinator
            )
    services.dry_run(matching_round, actor=coordinator)
    with CaptureQueriesContext(connection) as more:
        response = client.get(url)
    assert len(response.context["pairs"]) == 8
    assert len(more) == len(few)


def test_small_groups_are_suppressed(client, scheme_a, alice, setup):
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    page = client.get(
        reverse("matching:round", args=["scheme-a", matching_round.pk]) + "?by=ethnicity"
    )
    rows = page.context["rows"]
    assert all(cell in {"0", "<5", "x", "–"} for row in rows for cell in row.cells)
    if not rows:  # one group: its figures would be the "All mentees" row itself
        assert "Numbers by group withheld" in page.content.decode()


def test_choices_hold_until_the_round_closes(scheme_a, alice, setup):
    mentors, mentees = setup
    matching_round = services.open_round(scheme_a, actor=alice)
    assert matching_round.is_collecting
    with pytest.raises(services.MatchingError, match="already in progress"):
        services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    with pytest.raises(services.MatchingError, match="already closed"):
        services.close_choices(matching_round, actor=alice)


def test_a_dropped_choice_is_named_to_the_mentee_and_kept_from_the_mentor(
    client, scheme_a, alice, setup, django_capture_on_commit_callbacks
):
    mentors, mentees = setup
    choose(mentees[0], mentors[1], mentors[0])
    Conflict.objects.create(mentee=mentees[0], mentor=mentors[1], reason="supervisor")
    client.force_login(alice)
    client.post(reverse("matching:open_round", args=["scheme-a"]))
    matching_round = MatchingRound.objects.get()
    client.post(reverse("matching:close_choices", args=["scheme-a", matching_round.pk]))
    pair = matching_round.latest_run.pairs.get(mentee=mentees[0])
    assert pair.mentor_id == mentors[0].pk
    name = mentors[1].user.full_name
    note = f"your choice {name} was not considered: you asked not to be matched with this mentor"
    assert note in pair.reasons  # named, not the participant's database id
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("matching:publish", args=["scheme-a", matching_round.pk]))
    to_mentee = next(m for m in mail.outbox if m.to == [mentees[0].user.email])
    assert note in to_mentee.body
    # the mentor never learns of the mentee's conflicts of interest or other choices
    to_mentor = next(m for m in mail.outbox if m.to == [mentors[0].user.email])
    assert "not considered" not in to_mentor.body
    assert "not considered" not in to_mentor.alternatives[0][0]
    client.force_login(mentors[0].user)
    page = client.get(reverse("matching:my_proposals", args=["scheme-a"])).content.decode()
    assert "not considered" not in page


def test_a_removed_pair_leaves_its_mentee_in_the_numbers_as_unmatched(
    client, scheme_a, alice, setup
):
    mentors, mentees = setup
    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    pair = run.pairs.first()
    client.force_login(alice)
    url = reverse("matching:adjust", args=["scheme-a", matching_round.pk])
    client.post(url, {"mentee": pair.mentee_id, "mentor": pair.mentor_id, "kind": "remove"})
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    # 3 pairs and 1 unmatched before; the removed pair's mentee is still counted, as unmatched
    assert len(page.context["pairs"]) == 2
    assert pair.mentee_id in {person.pk for person, _ in page.context["unmatched"]}
    assert "Not matched (2)" in page.content.decode()
    assert "removed the proposed pair" in page.content.decode()
    # adding a pair for that mentee takes them off "Not matched" again
    free = factories.register_participant(
        scheme_a,
        "free-mentor@example.org",
        role="mentor",
        institution=factories.InstitutionFactory(name="Free U"),
        approve_by=alice,
    )
    free.mentor_capacity = 1
    free.save(update_fields=["mentor_capacity"])
    client.post(url, {"mentee": pair.mentee_id, "mentor": free.pk, "kind": "pin"})
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    assert pair.mentee_id not in {person.pk for person, _ in page.context["unmatched"]}
    assert "Not matched (1)" in page.content.decode()
    # the stored figures (the API's summary) follow the adjustments
    run.refresh_from_db()
    assert run.metrics["mentees"] == 4 and run.metrics["matched"] == 3
    assert run.metrics["unmatched"] == 1 and run.metrics["pinned"] == 1
    assert run.metrics["adjusted"] is True and run.metrics["blocking_pairs"] is None


def test_the_dry_run_uses_the_schemes_disclosure_threshold(client, scheme_a, alice, setup):
    from equimentor.reports.models import ReportSettings

    ReportSettings.objects.create(scheme=scheme_a, threshold=10)
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    overall = dict(zip(page.context["columns"], page.context["overall"].cells, strict=True))
    assert overall["Mentees"] == "<10"  # 4 mentees: "<5" would ignore the scheme's setting
    assert "counts from 1 to 9 shown as “&lt;10”" in page.content.decode()


def test_the_coordinator_reads_reasons_about_the_mentee_not_to_them(client, scheme_a, alice, setup):
    mentors, mentees = setup
    choose(mentees[0], mentors[1], mentors[0])
    Conflict.objects.create(mentee=mentees[0], mentor=mentors[1], reason="supervisor")
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    html = page.content.decode()
    name = mentors[1].user.full_name
    assert "the mentee&#x27;s 2nd choice" in html
    assert (
        f"the mentee&#x27;s choice {name} was not considered: "
        "the mentee asked not to be matched with this mentor"
    ) in html
    assert "your choice" not in html and "your 2nd choice" not in html
    assert "you made no choices" not in html


def test_a_refused_added_pair_keeps_the_people_chosen(client, scheme_a, alice, setup):
    mentors, mentees = setup
    scheme_a.different_institutions = True
    scheme_a.save()
    mentors[0].mentor_capacity = 2
    mentors[0].institution = mentees[0].institution
    mentors[0].save(update_fields=["institution", "mentor_capacity"])
    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    pair = run.pairs.exclude(mentor=mentors[0]).first()
    client.force_login(alice)
    url = reverse("matching:adjust", args=["scheme-a", matching_round.pk])
    client.post(url, {"mentee": pair.mentee_id, "mentor": pair.mentor_id, "kind": "remove"})
    response = client.post(
        url,
        {"mentee": pair.mentee_id, "mentor": mentors[0].pk, "kind": "pin", "add": "1"},
        follow=True,
    )
    html = response.content.decode()
    assert "different institutions only" in html
    form = response.context["pair_form"]
    assert str(form["mentee"].value()) == str(pair.mentee_id)
    assert str(form["mentor"].value()) == str(mentors[0].pk)
    assert f'<option value="{mentors[0].pk}" selected>' in html
    # an empty choice is refused with a message, and the page still works
    response = client.post(url, {"mentee": "", "mentor": "", "add": "1"}, follow=True)
    assert "Choose a mentee and a mentor of this scheme." in response.content.decode()
    assert response.status_code == 200


def test_a_round_with_nobody_waiting_says_so_and_closes_without_emails(
    client, scheme_b, charlie, django_capture_on_commit_callbacks
):
    client.force_login(charlie)
    client.post(reverse("matching:open_round", args=["scheme-b"]))
    matching_round = MatchingRound.objects.get(scheme=scheme_b)
    client.post(reverse("matching:close_choices", args=["scheme-b", matching_round.pk]))
    html = client.get(reverse("matching:round", args=["scheme-b", matching_round.pk])).content
    html = html.decode()
    assert "No mentees were waiting for a mentor when this run was made." in html
    assert "Numbers by group withheld" not in html
    assert "Everyone is matched" not in html
    assert "Close the round without proposals" in html
    assert "Publish 0 proposals" not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("matching:publish", args=["scheme-b", matching_round.pk]), follow=True
        )
    assert "closed with no proposals: nobody has been emailed" in response.content.decode()
    assert mail.outbox == []


def test_a_round_name_that_is_too_long_is_refused_with_a_message(client, scheme_a, alice):
    client.force_login(alice)
    response = client.post(
        reverse("matching:open_round", args=["scheme-a"]), {"name": "x" * 121}, follow=True
    )
    assert "A round&#x27;s name can be at most 120 characters." in response.content.decode()
    assert not MatchingRound.objects.exists()
    client.post(reverse("matching:open_round", args=["scheme-a"]), {"name": "Spring 2027"})
    assert MatchingRound.objects.get().name == "Spring 2027"


def test_a_small_run_over_several_groups_shows_its_page(client, scheme_a, alice, setup):
    mentors, mentees = setup
    mentees[0].institution = factories.InstitutionFactory(name="Away University")
    mentees[0].save(update_fields=["institution"])
    matching_round = services.open_round(scheme_a, actor=alice)
    services.close_choices(matching_round, actor=alice)
    client.force_login(alice)
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    assert page.status_code == 200
    # three scores in all: no group's mean, nor the overall one, may be shown
    assert page.context["overall"].cells[-1] == "–"
    assert all(row.cells[-1] == "–" for row in page.context["rows"])


def test_a_reply_with_an_overlong_note_keeps_the_note_and_says_why(
    client, scheme_a, alice, setup, django_capture_on_commit_callbacks
):
    mentors, mentees = setup
    proposal = _published(scheme_a, alice, mentors, mentees, django_capture_on_commit_callbacks)
    client.force_login(mentors[0].user)
    note = "We have history. " * 150  # over 2,000 characters
    response = client.post(
        reverse("matching:reply", args=["scheme-a", proposal.pk]),
        {"answer": "decline", "note": note},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 2000 characters" in page and "Your note is kept below." in page
    assert note.strip() in page  # nothing typed is lost
    proposal.refresh_from_db()
    assert proposal.status == "proposed" and proposal.mentor_reply == ""
    # A reply that goes through reads naturally on the page.
    client.post(reverse("matching:reply", args=["scheme-a", proposal.pk]), {"answer": "decline"})
    page = client.get(reverse("matching:my_proposals", args=["scheme-a"])).content.decode()
    assert "you declined" in page and "declineed" not in page


def test_add_a_pair_offers_only_mentors_with_a_place_left_in_the_dry_run(
    client, scheme_a, alice, setup
):
    from collections import Counter

    from equimentor.enrolment.models import Participant

    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    in_run = Counter(p.mentor_id for p in run.pairs.all())
    client.force_login(alice)
    page = client.get(reverse("matching:round", args=["scheme-a", matching_round.pk]))
    offered = set(page.context["pair_form"].fields["mentor"].queryset.values_list("pk", flat=True))
    capacity = dict(Participant.objects.filter(pk__in=in_run).values_list("pk", "mentor_capacity"))
    full = {pk for pk, n in in_run.items() if n >= capacity[pk]}
    assert full and not (full & offered)
    assert all(in_run[pk] < (capacity.get(pk) or 0) or pk not in in_run for pk in offered)


def test_an_unknown_adjustment_is_refused_and_an_adjusted_run_says_it_is_unchecked(
    client, scheme_a, alice, setup
):
    from equimentor.matching.models import Adjustment

    matching_round = services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    pair = run.pairs.first()
    client.force_login(alice)
    url = reverse("matching:adjust", args=["scheme-a", matching_round.pk])
    page_url = reverse("matching:round", args=["scheme-a", matching_round.pk])
    forged = client.post(
        url, {"mentee": pair.mentee_id, "mentor": pair.mentor_id, "kind": "explode"}, follow=True
    )
    assert "Choose whether to pin or to remove the pair." in forged.content.decode()
    assert not Adjustment.objects.exists()
    assert "Blocking pairs: 0." in client.get(page_url).content.decode()
    client.post(url, {"mentee": pair.mentee_id, "mentor": pair.mentor_id, "kind": "remove"})
    page = client.get(page_url).content.decode()
    assert "Blocking pairs: None" not in page and "run matching again to check stability" in page
