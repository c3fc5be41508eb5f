"""Running a scheme without a developer (#14), in a browser: a site administrator adds an
institution (and another name for it), creates a scheme and invites its first coordinator; the
coordinator accepts, invites a safeguarding lead and a committee member limited to one
institution, and imports participants from a spreadsheet; each accepts their email and signs in;
and a sign-in link brings the coordinator back to the page she asked for. axe on every page."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-admin-passphrase-42"
SPREADSHEET = (
    "Email address,Full name,Role,University,Specialty,Mentor capacity,Ethnicity\n"
    "nia.a@example.ac.uk,Nia Adeyemi,mentee,Northumbria University,Nursing,,Black African\n"
    "omar.b@example.ac.uk,Omar Bashir,mentor,NU,Cardiology,2,\n"
    "bad-address,Pat Clay,mentee,Cardiff University,,,\n"
)


def link_to(address: str, pattern: str) -> str:
    for message in reversed(mail.outbox):
        if address in message.to:
            found = re.search(pattern, message.body)
            if found:
                return found.group(0)
    raise AssertionError(
        f"no email to {address} with {pattern}: {[m.subject for m in mail.outbox]}"
    )


def sign_out(site):
    nav = site.page.get_by_role("navigation", name="Main")
    site.submit(nav.get_by_role("button", name="Sign out"), "signed out")


def test_a_site_administrator_starts_a_scheme_that_its_staff_then_run(site, make_scheme):
    from equimentor.accounts.models import User
    from equimentor.enrolment.models import Participant
    from equimentor.schemes.models import Scheme, StaffRole
    from equimentor.staff.models import SiteAdministrator

    make_scheme()  # the site's institutions (Cardiff, Glasgow, Leeds) and another scheme
    admin = User.objects.create_user("ada.admin@example.org", password=PASSWORD, full_name="Ada")
    SiteAdministrator.objects.create(user=admin)
    page = site.page
    site.sign_in_with_password(admin.email, PASSWORD)

    # -- an institution that was missing, and the short name people use for it
    site.visit("/site/", "site administration")
    nav = page.get_by_role("navigation", name="Site administration")
    site.follow(nav.get_by_role("link", name="Institutions"), "institutions")
    page.get_by_label("Name:", exact=True).fill("Northumbria University")
    site.submit(page.get_by_role("button", name="Add the institution"), "institution added")
    site.follow(page.get_by_role("link", name="Northumbria University"), "institution")
    page.get_by_label("Another name it goes by").fill("NU")
    site.submit(page.get_by_role("button", name="Add this name"), "alias added")
    expect(page.get_by_role("button", name="Remove “NU”")).to_be_visible()

    site.follow(nav.get_by_role("link", name="Site administrators"), "site administrators")
    expect(page.get_by_role("row", name=re.compile("Ada"))).to_contain_text("the command line")

    # -- a new scheme, and its first coordinator by invitation
    site.follow(nav.get_by_role("link", name="Schemes"), "schemes")
    site.follow(page.get_by_role("link", name="Create a scheme"), "new scheme")
    page.get_by_label("Name:", exact=True).fill("Northern Lights")
    page.get_by_label("Short name for web addresses").fill("northern-lights")
    page.get_by_label("Summary").fill("Mentoring for nurses and allied health researchers.")
    page.get_by_label("Eligibility statements").fill("I work in health research.")
    site.submit(page.get_by_role("button", name="Save"), "scheme created")
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff of Northern Lights")
    scheme = Scheme.objects.get(slug="northern-lights")
    page.get_by_label("Their name").fill("Cora Okafor")
    page.get_by_label("Their email address").fill("cora.okafor@example.ac.uk")
    page.get_by_label("Scheme coordinator").check()
    site.submit(page.get_by_role("button", name="Send the invitation"), "coordinator invited")
    expect(
        page.get_by_text("Cora Okafor (cora.okafor@example.ac.uk) as scheme coordinator")
    ).to_be_visible()
    site.phone_screenshot("staff page")
    sign_out(site)

    # -- the coordinator accepts: her account is made and she is signed in
    site.visit(
        link_to("cora.okafor@example.ac.uk", r"https?://\S+/staff-invitations/\S+/"), "invitation"
    )
    site.submit(page.get_by_role("button", name="Accept and sign in"), "coordinator's dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northern Lights")
    cora = User.objects.get(email="cora.okafor@example.ac.uk")
    assert StaffRole.objects.get(user=cora).granted_by == admin
    factories.publish_documents(scheme)  # her documents (their own journey is tested elsewhere)

    # -- she invites a safeguarding lead, and a committee member for one institution
    scheme_nav = page.get_by_role("navigation", name="Scheme administration")
    site.follow(scheme_nav.get_by_role("link", name="Staff"), "staff")
    for name, email, role in (
        ("Lena Sharma", "lena.sharma@example.ac.uk", "Safeguarding lead"),
        ("Tom Reid", "tom.reid@example.ac.uk", "Committee or institution lead"),
    ):
        page.get_by_label("Their name").fill(name)
        page.get_by_label("Their email address").fill(email)
        page.get_by_label(role).check()
        if role.startswith("Committee"):
            page.get_by_label("Northumbria University").check()
        site.submit(page.get_by_role("button", name="Send the invitation"), f"{role} invited")

    # -- she imports the scheme's people from a spreadsheet
    site.follow(scheme_nav.get_by_role("link", name="Registrations"), "registrations")
    site.follow(page.get_by_role("link", name="Import participants from a spreadsheet"), "import")
    page.get_by_label("Spreadsheet (CSV or XLSX)").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": SPREADSHEET.encode()}]
    )
    site.submit(page.get_by_role("button", name="Upload and match the columns"), "columns")
    expect(page.get_by_text("Not imported, whatever they hold: Ethnicity")).to_be_visible()
    expect(page.get_by_label("Column 4: “University”")).to_have_value("institution")
    site.submit(page.get_by_role("button", name="Preview"), "preview")
    expect(page.get_by_role("table", name="Rows left out, and why")).to_contain_text(
        "“bad-address” is not an email address"
    )
    site.submit(page.get_by_role("button", name="Import 2 people"), "imported")
    expect(page.get_by_text("2 imported, as invited")).to_be_visible()
    omar = Participant.objects.get(user__email="omar.b@example.ac.uk")
    assert omar.institution.name == "Northumbria University" and omar.mentor_capacity == 2
    sign_out(site)

    # -- each accepts their email and is signed in
    site.visit(
        link_to("lena.sharma@example.ac.uk", r"https?://\S+/staff-invitations/\S+/"),
        "lead's invitation",
    )
    site.submit(page.get_by_role("button", name="Accept and sign in"), "cases")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northern Lights: safeguarding cases")
    lead_link = link_to("lena.sharma@example.ac.uk", r"https?://\S+/staff-invitations/\S+/")
    site.visit(lead_link, "invitation used", status=400)
    expect(page.get_by_text("This invitation has already been used.")).to_be_visible()
    sign_out(site)
    site.visit(
        link_to("tom.reid@example.ac.uk", r"https?://\S+/staff-invitations/\S+/"),
        "committee invitation",
    )
    expect(page.get_by_text("Your reports will cover Northumbria University")).to_be_visible()
    site.submit(page.get_by_role("button", name="Accept and sign in"), "committee report")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northumbria University")
    sign_out(site)
    site.visit(
        link_to("nia.a@example.ac.uk", r"https?://\S+/me/imported/\S+/"), "review and consent"
    )
    expect(page.get_by_label("Department or specialty")).to_have_value("Nursing")
    page.get_by_label("Job title").fill("Staff nurse researcher")
    page.get_by_label("Career stage").select_option(index=1)
    page.get_by_label("Clinical academic", exact=True).check()
    page.get_by_label("Research interests").fill("nursing workforce")
    page.get_by_label("Your career to date").fill("Ten years on the wards, now a PhD.")
    page.get_by_label("What you hope to gain as a mentee").fill("A route into research.")
    for consent in (
        "I have read the privacy notice",
        "I consent to take part in the scheme",
        "I will abide by the code of conduct",
        "I will keep the confidentiality agreement",
    ):
        page.get_by_label(consent).check()
    site.submit(page.get_by_role("button", name="Confirm and take part"), "taking part")
    expect(page.get_by_text("You are taking part in Northern Lights")).to_be_visible()
    nia = Participant.objects.get(user__email="nia.a@example.ac.uk")
    assert nia.status == Participant.Status.APPROVED
    sign_out(site)

    # -- twice a year: the coordinator asks for a page, signs in by link, and lands on it
    site.visit("/manage/northern-lights/staff/", "asked to sign in")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    panel = page.get_by_role("region", name="Get a sign-in link by email")
    panel.get_by_label("Email address").fill("cora.okafor@example.ac.uk")
    site.submit(panel.get_by_role("button", name="Email me a sign-in link"), "link sent")
    site.visit(
        link_to("cora.okafor@example.ac.uk", r"https?://\S+/accounts/sign-in/link/\S+/"),
        "sign-in link",
    )
    site.submit(page.get_by_role("button", name="Sign in now"), "back where she was")
    assert page.url.endswith("/manage/northern-lights/staff/")
    table = page.get_by_role("table", name="Who holds which role")
    expect(table).to_contain_text("Lena Sharma")
    expect(table).to_contain_text("Northumbria University")
