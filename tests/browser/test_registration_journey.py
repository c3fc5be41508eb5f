"""An applicant's whole journey: interest, welcome email, registration with consent, profile edit."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.registration_setup import REQUIRED_CONSENTS, registration_link

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "amara.osei@example.ac.uk"
PROFILE_SHOWN = [
    "Clinical lecturer",
    "Lecturer, research fellow or clinical lecturer",
    "Clinical academic",
    "Cardiff University",
    "Obstetrics and Gynaecology",
    "maternal health; global health",
    "Either — Not on Fridays.",
]


def test_applicant_registers_and_edits_profile(site, scheme):
    from equimentor.enrolment.models import Consent, Participant
    from equimentor.identity.models import IdentityAnswer
    from equimentor.schemes.models import SchemeDocument

    page = site.page

    # -- the public scheme page and the expression of interest
    site.visit(f"/schemes/{scheme.slug}/", "scheme page")
    expect(page.get_by_role("heading", level=1)).to_have_text(scheme.name)
    page.get_by_label("Your name").fill("Amara Osei")
    page.get_by_label("Work email address").fill(EMAIL)
    page.get_by_label("Your institution").select_option(label="Cardiff University")
    for statement in scheme.eligibility_statements:
        page.get_by_label(statement).check()
    site.submit(
        page.get_by_role("button", name="Send me the information pack"), "interest received"
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you for your interest")
    expect(page.get_by_text(EMAIL)).to_be_visible()

    # -- the welcome email's registration link
    link = registration_link(EMAIL)
    assert link.startswith(site.base_url), link
    site.visit(link, "registration form")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Register with {scheme.name}")
    site.phone_screenshot("registration form")

    page.get_by_label("Your full name").fill("Amara Osei-Bonsu")
    page.get_by_label("Both: mentor and mentee (peer support)").check()
    page.get_by_label("Job title").fill("Clinical lecturer")
    page.get_by_label("Career stage").select_option(
        label="Lecturer, research fellow or clinical lecturer"
    )
    page.get_by_label("Clinical academic", exact=True).check()
    expect(page.get_by_label("Institution:", exact=True)).to_have_value(
        str(scheme_institution_id("Cardiff University"))
    )
    page.get_by_label("Department or specialty").fill("Obstetrics and Gynaecology")
    page.get_by_label("Research interests").fill("maternal health; global health")
    page.get_by_label("Your career to date").fill(
        "Trained in Accra and Cardiff; PhD on pre-eclampsia."
    )
    page.get_by_label("What you can offer as a mentor").fill("Fellowship applications.")
    page.get_by_label("What you hope to gain as a mentee").fill(
        "Advice on promotion to senior lecturer."
    )
    page.get_by_label("How many mentees could you support at once?").select_option("2")
    page.get_by_label("How would you like to meet?").select_option(label="Either")
    page.get_by_label("Anything else about meetings (optional)").fill("Not on Fridays.")

    # optional identity questions, and consent to their use
    page.get_by_label("Which broad ethnic group best describes you?").select_option(
        label="Black, Black British, Caribbean or African"
    )
    page.get_by_label("How do you describe your ethnicity, in your own words?").fill(
        "Ghanaian British"
    )
    ethnicity = page.locator(".identity-group").filter(
        has=page.get_by_label("Which broad ethnic group best describes you?")
    )
    ethnicity.get_by_label("Show my answer about ethnicity on my published mentor profile").check()
    page.get_by_label("How do you describe your gender?").select_option(label="Woman")
    page.get_by_label(re.compile("^Do you have caring responsibilities")).select_option(
        label="Prefer not to say"
    )
    page.get_by_label("Use my identity answers in matching").check()
    page.get_by_label("Use my identity answers in anonymous equity reports").check()

    # every required consent but one, and the optional evaluation consent
    for label in REQUIRED_CONSENTS[:-1]:
        page.get_by_label(label).check()
    page.get_by_label("I agree to take part in the scheme's evaluation (optional)").check()

    # -- bad input: a required consent left unticked
    site.submit(
        page.get_by_role("button", name="Register"), "registration missing consent", status=400
    )
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text(
        "I will keep the confidentiality agreement: This consent is needed to take part."
    )
    missing = page.locator(".check").filter(has=page.get_by_label(REQUIRED_CONSENTS[-1]))
    expect(missing.get_by_text("This consent is needed to take part.")).to_be_visible()
    assert Participant.objects.count() == 0
    # what was typed, chosen and ticked is all still there
    expect(page.get_by_label("Your full name")).to_have_value("Amara Osei-Bonsu")
    expect(page.get_by_label("Both: mentor and mentee (peer support)")).to_be_checked()
    expect(page.get_by_label("Job title")).to_have_value("Clinical lecturer")
    expect(page.get_by_label("Clinical academic", exact=True)).to_be_checked()
    expect(page.get_by_label("Research interests")).to_have_value("maternal health; global health")
    expect(page.get_by_label("Your career to date")).to_have_value(
        "Trained in Accra and Cardiff; PhD on pre-eclampsia."
    )
    expect(page.get_by_label("How many mentees could you support at once?")).to_have_value("2")
    expect(page.get_by_label("How would you like to meet?")).to_have_value("either")
    expect(page.get_by_label("Anything else about meetings (optional)")).to_have_value(
        "Not on Fridays."
    )
    expect(page.get_by_label("Which broad ethnic group best describes you?")).to_have_value("black")
    expect(
        page.get_by_label("How do you describe your ethnicity, in your own words?")
    ).to_have_value("Ghanaian British")
    expect(
        ethnicity.get_by_label("Show my answer about ethnicity on my published mentor profile")
    ).to_be_checked()
    expect(page.get_by_label("Use my identity answers in matching")).to_be_checked()
    for label in REQUIRED_CONSENTS[:-1]:
        expect(page.get_by_label(label)).to_be_checked()
    expect(page.get_by_label(REQUIRED_CONSENTS[-1])).not_to_be_checked()

    # -- fix it and register
    page.get_by_label(REQUIRED_CONSENTS[-1]).check()
    site.submit(page.get_by_role("button", name="Register"), "participation")
    site.phone_screenshot("participation")
    assert page.url == f"{site.base_url}/me/schemes/{scheme.slug}/"
    expect(page.get_by_role("status")).to_contain_text("Thank you for registering")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("mentor and mentee", exact=True)).to_be_visible()
    expect(page.locator(".status")).to_have_text("Registered, awaiting review")
    profile = page.get_by_role("region", name="Your profile")
    for text in PROFILE_SHOWN:
        expect(profile).to_contain_text(text)
    expect(
        page.get_by_role("region", name="About you (optional identity answers)")
    ).to_contain_text("You have answered 3 questions.")

    # -- edit the profile: new research interests
    site.follow(page.get_by_role("link", name="Edit your profile"), "edit profile")
    interests = page.get_by_label("Research interests")
    expect(interests).to_have_value("maternal health; global health")
    interests.fill("maternal health; implementation science")
    site.submit(page.get_by_role("button", name="Save profile"), "profile saved")
    expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    expect(page.get_by_role("region", name="Your profile")).to_contain_text(
        "maternal health; implementation science"
    )

    # -- what was stored
    participant = Participant.objects.select_related("user", "institution").get()
    assert participant.user.email == EMAIL
    assert participant.user.full_name == "Amara Osei-Bonsu"
    assert participant.status == Participant.Status.REGISTERED
    assert (participant.is_mentor, participant.is_mentee) == (True, True)
    assert participant.institution.name == "Cardiff University"
    assert participant.career_stage == 2
    assert participant.pathway == "clinical"
    assert participant.mentor_capacity == 2
    assert participant.meeting_mode == "either"
    assert participant.research_interests == "maternal health; implementation science"
    current = scheme.current_documents()
    consents = {
        c.purpose: c.document for c in participant.consents.filter(withdrawn_at__isnull=True)
    }
    expected = {
        purpose: current[Consent.DOCUMENT_FOR_PURPOSE[purpose]]
        for purpose in (*Consent.REQUIRED, Consent.Purpose.EVALUATION)
    }
    expected[Consent.Purpose.IDENTITY_MATCHING] = current[SchemeDocument.Kind.PRIVACY_NOTICE]
    expected[Consent.Purpose.IDENTITY_REPORTS] = current[SchemeDocument.Kind.PRIVACY_NOTICE]
    assert consents == expected
    assert {doc.version for doc in consents.values()} == {1}
    assert participant.consents.count() == len(expected)
    answers = {a.dimension: a for a in IdentityAnswer.objects.filter(participant=participant)}
    assert set(answers) == {"ethnicity", "gender", "caring"}
    assert answers["ethnicity"].value == "black"
    assert answers["ethnicity"].self_description == "Ghanaian British"
    assert answers["ethnicity"].show_on_profile is True
    assert answers["caring"].value == "prefer_not_to_say"
    assert participant.expression.invites.get().used_at is not None
    assert [m.subject for m in mail.outbox if EMAIL in m.to] == [
        f"Welcome to {scheme.name}: your information pack and registration link",
        f"Your registration with {scheme.name} is received",
    ]


def scheme_institution_id(name: str) -> int:
    from equimentor.schemes.models import Institution

    return Institution.objects.get(name=name).pk
