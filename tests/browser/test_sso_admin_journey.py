"""A site administrator sets up an institution's OpenID Connect provider in the product, reads
off what the institution registers, and then a member of that institution signs in through it (a
real provider process on loopback). axe on every page."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-admin-passphrase-42"


def test_a_site_administrator_sets_up_single_sign_on(site, scheme, oidc_provider):
    from equimentor.accounts.models import User
    from equimentor.sso.models import IdentityProvider
    from equimentor.staff.models import SiteAdministrator

    admin = User.objects.create_user("sam.admin@example.org", password=PASSWORD, full_name="Sam")
    SiteAdministrator.objects.create(user=admin)
    page = site.page
    site.sign_in_with_password(admin.email, PASSWORD)

    site.visit("/site/", "site administration")
    nav = page.get_by_role("navigation", name="Site administration")
    site.follow(nav.get_by_role("link", name="Single sign-on"), "single sign-on")
    expect(page.get_by_role("row", name="Cardiff University")).to_contain_text("Emailed link")
    site.follow(
        page.get_by_role("link", name="Add a provider for Cardiff University"), "new provider"
    )

    # a first try without the secret: explained, nothing typed is lost
    client_id, secret = f"equimentor-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    page.get_by_role("radio", name="OpenID Connect").check()
    page.get_by_label("Email domains it serves").fill("cardiff.example.ac.uk")
    page.get_by_label("Issuer URL (OpenID Connect)").fill(oidc_provider.url)
    page.get_by_label("Client ID (OpenID Connect)").fill(client_id)
    site.submit(page.get_by_role("button", name="Save the provider"), "secret missing", status=400)
    expect(page.get_by_role("alert")).to_contain_text("OpenID Connect needs the client secret.")
    expect(page.get_by_label("Client ID (OpenID Connect)")).to_have_value(client_id)
    page.get_by_label("Client secret (OpenID Connect)").fill(secret)
    site.submit(page.get_by_role("button", name="Save the provider"), "provider saved")
    expect(page.get_by_text("Cardiff University's sign-in provider saved.")).to_be_visible()
    expect(page.get_by_text("client secret stored")).to_be_visible()
    assert secret not in page.content()
    site.phone_screenshot("provider saved")

    # what the IT team registers at the provider: the redirect URI shown on the page
    provider = IdentityProvider.objects.get(institution__name="Cardiff University")
    callback = (
        page.locator("dt", has_text="OpenID Connect redirect URI").locator("+ dd").inner_text()
    )
    assert callback.endswith(f"/sso/oidc/{provider.pk}/callback/")
    oidc_provider.add_client(client_id, secret, [callback])
    oidc_provider.add_user(
        "rhys-1", email="rhys@cardiff.example.ac.uk", email_verified=True, name="Rhys Evans"
    )

    main = page.get_by_role("navigation", name="Main")
    site.submit(main.get_by_role("button", name="Sign out"), "admin signed out")
    site.visit("/accounts/sign-in/", "sign in")
    panel = page.get_by_role("region", name="Sign in through your institution")
    panel.get_by_label("Your work email address").fill("rhys@cardiff.example.ac.uk")
    site.submit(panel.get_by_role("button", name="Continue to my institution"), "at provider")
    page.get_by_label("Account").select_option("rhys-1")
    site.submit(page.get_by_role("button", name="Sign in"), "account ready")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is ready")
