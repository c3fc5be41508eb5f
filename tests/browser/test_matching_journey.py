"""A mentee chooses a mentor in the directory, the coordinator runs and publishes matching, and
both accept: the relationship starts. Every page is checked for accessibility."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a long demo password 42"


def _person(
    make_registration, scheme, coordinator, *, email, name, role, institution_name, **profile
):
    from equimentor.enrolment import services
    from equimentor.schemes.models import Institution

    institution = Institution.objects.get(name=institution_name)
    participant = make_registration(
        scheme, email=email, name=name, role=role, institution=institution, **profile
    )
    services.approve(participant, actor=coordinator)
    participant.user.set_password(PASSWORD)
    participant.user.save(update_fields=["password"])
    return participant


def _sign_out(site):
    site.submit(site.page.get_by_role("button", name="Sign out"), "signed out")


def test_choose_match_accept(site, scheme, coordinator, make_registration):
    scheme.different_institutions = True
    scheme.save(update_fields=["different_institutions"])
    mentee = _person(
        make_registration,
        scheme,
        coordinator,
        email="noor@example.org",
        name="Noor Haddad",
        role="mentee",
        institution_name="University of Leeds",
    )
    mentor = _person(
        make_registration,
        scheme,
        coordinator,
        email="efua@example.org",
        name="Efua Mensah",
        role="mentor",
        institution_name="Cardiff University",
        career_stage=4,
        research_interests="health inequalities; maternal health",
    )
    _person(
        make_registration,
        scheme,
        coordinator,
        email="lin@example.org",
        name="Lin Tan",
        role="mentor",
        institution_name="University of Glasgow",
        career_stage=3,
        research_interests="genomics",
    )

    # The mentee finds a mentor in the directory and ranks her first.
    site.sign_in_with_password(mentee.user.email, PASSWORD)
    site.visit(f"/schemes/{scheme.slug}/mentors/", "directory")
    site.phone_screenshot("directory")
    site.follow(site.page.get_by_role("link", name="Efua Mensah"), "mentor profile")
    site.submit(site.page.get_by_role("button", name="Add to my choices"), "chosen")
    site.visit(f"/me/schemes/{scheme.slug}/choices/", "my choices")
    expect(site.page.get_by_role("region", name="Your choices, in order")).to_contain_text(
        "Efua Mensah"
    )
    _sign_out(site)

    # The coordinator opens a round, closes choices (a dry run), looks at it and publishes.
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/matching/", "matching")
    site.submit(site.page.get_by_role("button", name="Open a round"), "round open")
    site.submit(site.page.get_by_role("button", name="Close choices and make a dry run"), "dry run")
    pairs = site.page.get_by_role("region", name=re.compile("Proposed pairs"))
    expect(pairs).to_contain_text("Noor Haddad")
    expect(pairs).to_contain_text("the mentee's 1st choice")
    site.phone_screenshot("dry run")
    mail.outbox.clear()
    site.follow(site.page.get_by_role("link", name=re.compile("Review and publish")), "confirm")
    expect(site.page.get_by_role("heading", name=re.compile("To the mentee: "))).to_be_visible()
    assert mail.outbox == []  # reading the emails sent nothing
    site.phone_screenshot("confirm publishing")
    site.submit(site.page.get_by_role("button", name="Publish and email 2 people"), "published")
    expect(site.page.get_by_text("Each person is being emailed")).to_be_visible()
    assert {m.to[0] for m in mail.outbox} == {"noor@example.org", "efua@example.org"}
    _sign_out(site)

    # Both accept; the mentee's mentoring page shows the new relationship.
    for person in (mentor, mentee):
        site.sign_in_with_password(person.user.email, PASSWORD)
        site.visit(f"/me/schemes/{scheme.slug}/proposals/", "proposals")
        site.submit(site.page.get_by_role("button", name="Accept"), "accepted")
        expect(site.page.get_by_text("Thank you: you accepted.")).to_be_visible()
        if person is mentee:
            site.visit(f"/me/schemes/{scheme.slug}/mentoring/", "mentoring home")
            expect(site.page.locator("main")).to_contain_text("Efua Mensah")
        _sign_out(site)

    from equimentor.matching.models import Proposal

    assert Proposal.objects.get(mentee=mentee).status == "accepted"
