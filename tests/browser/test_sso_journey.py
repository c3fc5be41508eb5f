"""A mentee whose institution signs her in: through the institution's OpenID provider (a real
provider process on loopback) to a new account, then the usual expression of interest, emailed
registration link and consent, then signing out here and at the institution. axe on every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.registration_setup import REQUIRED_CONSENTS, registration_link
from tests.sso_setup import make_oidc_institution

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "amara.osei@cardiff.example.ac.uk"


def test_a_mentee_signs_in_through_her_institution_registers_and_signs_out(
    site, scheme, oidc_provider, live_server
):
    from equimentor.accounts.models import User
    from equimentor.enrolment.models import Consent, Participant
    from equimentor.sso.models import ExternalIdentity

    provider = make_oidc_institution(
        oidc_provider,
        name="Cardiff University",
        domains=("cardiff.example.ac.uk",),
        site=live_server.url,
    )
    oidc_provider.add_user("amara-7f3", email=EMAIL, email_verified=True, name="Amara Osei")
    page = site.page

    # -- the sign-in page asks for the work email and sends her to her institution
    site.visit("/accounts/sign-in/", "sign in")
    panel = page.get_by_role("region", name="Sign in through your institution")
    panel.get_by_label("Your work email address").fill(EMAIL)
    site.submit(panel.get_by_role("button", name="Continue to my institution"), "provider sign-in")
    assert page.url.startswith(oidc_provider.url + "/authorize?")
    page.get_by_label("Account").select_option("amara-7f3")
    site.submit(page.get_by_role("button", name="Sign in"), "account ready")

    # -- a new account, and nothing more until she registers with consent
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is ready")
    user = User.objects.get(email=EMAIL)
    assert ExternalIdentity.objects.get(user=user).provider == provider
    assert not Participant.objects.filter(user=user).exists()
    site.phone_screenshot("account ready")

    site.follow(page.get_by_role("link", name="See the mentoring schemes"), "schemes")
    site.follow(page.get_by_role("link", name=scheme.name), "scheme page")
    page.get_by_label("Your name").fill("Amara Osei")
    page.get_by_label("Work email address").fill(EMAIL)
    page.get_by_label("Your institution").select_option(label="Cardiff University")
    for statement in scheme.eligibility_statements:
        page.get_by_label(statement).check()
    site.submit(
        page.get_by_role("button", name="Send me the information pack"), "interest received"
    )

    site.visit(registration_link(EMAIL), "registration form")
    page.get_by_label("Mentee: I would like a mentor").check()
    page.get_by_label("Job title").fill("Clinical lecturer")
    page.get_by_label("Career stage").select_option(
        label="Lecturer, research fellow or clinical lecturer"
    )
    page.get_by_label("Clinical academic", exact=True).check()
    page.get_by_label("Department or specialty").fill("Obstetrics and Gynaecology")
    page.get_by_label("Research interests").fill("maternal health")
    page.get_by_label("Your career to date").fill("PhD on pre-eclampsia.")
    page.get_by_label("What you hope to gain as a mentee").fill("Advice on fellowships.")
    page.get_by_label("How would you like to meet?").select_option(label="Either")
    for label in REQUIRED_CONSENTS:
        page.get_by_label(label).check()
    site.submit(page.get_by_role("button", name="Register"), "participation")
    expect(page.get_by_role("status")).to_contain_text("Thank you for registering")

    participant = Participant.objects.get(user=user)
    assert participant.is_mentee and not participant.is_mentor
    given = set(participant.consents.values_list("purpose", flat=True))
    assert given == set(Consent.REQUIRED)

    # -- signing out: here at once, then at the institution if she wants
    nav = page.get_by_role("navigation", name="Main")
    site.submit(nav.get_by_role("button", name="Sign out"), "signed out")
    expect(page.get_by_role("heading", level=1)).to_contain_text("You have signed out of")
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    site.submit(
        page.get_by_role("button", name="Sign out of Cardiff University too"),
        "signed out everywhere",
    )
    expect(page.get_by_text("and of your institution's sign-in service")).to_be_visible()
    assert any(entry.get("logout") for entry in oidc_provider.seen())
    site.visit("/me/schemes/bridges/", "signed out: sign-in asked", status=200)
    assert "/accounts/sign-in/" in page.url
