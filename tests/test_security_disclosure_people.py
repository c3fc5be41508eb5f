"""What a page tells about other people (#23): the interest page said an address had been given
minutes ago, and anyone could overwrite the name and institution stored for an address."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from equimentor.enrolment.models import ExpressionOfInterest
from tests import factories


def _express(client, scheme, institution, email, name):
    return client.post(
        reverse("schemes:detail", args=[scheme.slug]),
        {
            "name": name,
            "email": email,
            "institution": institution.pk,
            "institution_other": "",
            "eligible_0": "on",
            "eligible_1": "on",
        },
    )


def test_the_interest_page_does_not_say_an_address_was_given_recently(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _express(client, scheme_a, institution, "victim@example.org", "Victim")
        again = _express(client, scheme_a, institution, "victim@example.org", "Prober")
        fresh = _express(client, scheme_a, institution, "nobody@example.org", "Prober")
    assert len(mail.outbox) == 2  # the second ask within minutes sends nothing...
    # ...and the page is the same as for an address never given
    assert again.content.decode().replace("victim@", "nobody@") == fresh.content.decode()


def test_an_anonymous_resubmission_does_not_overwrite_what_is_stored(
    client, scheme_a, institution, django_capture_on_commit_callbacks
):
    other = factories.InstitutionFactory(name="Elsewhere")
    with django_capture_on_commit_callbacks(execute=True):
        _express(client, scheme_a, institution, "dana@example.org", "Dana Applicant")
        _express(client, scheme_a, other, "DANA@example.org", "Someone Else")
    stored = ExpressionOfInterest.objects.get()
    assert (stored.name, stored.institution, stored.times_expressed) == (
        "Dana Applicant",
        institution,
        2,
    )


# --- "your choice … was not considered" --------------------------------------------------------


def _kept_apart(how, scheme, alice, mentee, mentor):
    """Keep ``mentee`` and ``mentor`` apart the way ``how`` says; the round, if one is needed."""
    from equimentor.matching.models import Adjustment, MatchingRound, Proposal
    from equimentor.safeguarding.models import PairBlock, Suspension

    if how == "safeguarding block":
        PairBlock.objects.create(scheme=scheme, mentee=mentee, mentor=mentor)
    elif how == "mentor suspended":
        Suspension.objects.create(participant=mentor)
    elif how in ("mentor declined before", "mentee declined before"):
        Proposal.objects.create(
            scheme=scheme,
            mentee=mentee,
            mentor=mentor,
            via="choice",
            status=Proposal.Status.DECLINED,
            proposed_at=timezone.now(),
            mentee_reply="decline" if how.startswith("mentee") else "",
            mentor_reply="decline" if how.startswith("mentor") else "",
        )
    elif how == "coordinator left the pair out":
        from equimentor.matching import services

        matching_round = services.open_round(scheme, actor=alice)
        Adjustment.objects.create(
            round=matching_round, kind=Adjustment.Kind.EXCLUDE, mentee=mentee, mentor=mentor
        )
        return MatchingRound.objects.get()
    return None


@pytest.mark.parametrize(
    "how,told",
    [
        ("safeguarding block", False),
        ("mentor suspended", False),
        ("coordinator left the pair out", False),
        ("mentor declined before", True),
        ("mentee declined before", True),
    ],
)
def test_a_mentee_is_told_why_a_choice_was_left_out_only_if_she_knows_already(
    client, scheme_a, alice, how, told, django_capture_on_commit_callbacks
):
    from equimentor.matching import services
    from tests.matching_setup import choose, people

    mentors, mentees = people(scheme_a, alice, mentors=2, mentees=1)
    mentors[1].user.full_name = "Dr Chosen First"
    mentors[1].user.save(update_fields=["full_name"])
    choose(mentees[0], mentors[1], mentors[0])
    matching_round = _kept_apart(how, scheme_a, alice, mentees[0], mentors[1])
    matching_round = matching_round or services.open_round(scheme_a, actor=alice)
    run = services.close_choices(matching_round, actor=alice)
    assert run.pairs.get().mentor_id == mentors[0].pk
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(matching_round, actor=alice)
    name = mentors[1].user.full_name
    email = next(m for m in mail.outbox if m.to == [mentees[0].user.email])
    client.force_login(mentees[0].user)
    page = client.get(reverse("matching:my_proposals", args=[scheme_a.slug])).content.decode()
    for text in (email.body, email.alternatives[0][0], page):
        assert (name in text) == told
        assert ("a match between you was declined or ended before" in text) == told
    # the coordinator reads that the choice was left out, and not why when the mentee may not
    client.force_login(alice)
    dry_run = client.get(
        reverse("matching:round", args=[scheme_a.slug, matching_round.pk])
    ).content.decode()
    assert f"choice {name} was not considered" in dry_run
    assert ("kept apart (not shown to the mentee)" in dry_run) == (not told)
