"""Running a scheme without a developer (#14): site administrators, institutions and aliases,
invitations to staff roles, granting and revoking with their rules, every change audited and
emailed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.core.models import AuditEvent, OutgoingEmail
from equimentor.core.roles import Role
from equimentor.privacy.twofactor import needs_two_factor
from equimentor.schemes.models import Institution, Scheme, StaffRole
from equimentor.schemes.services import find_institution
from equimentor.staff import services
from equimentor.staff.models import SiteAdministrator, StaffInvitation
from tests import factories


@pytest.fixture
def ada(db, django_capture_on_commit_callbacks):
    """A site administrator who is not a superuser, appointed from the command line."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("site_admin", "add", "ada@example.org", "--name", "Ada Admin")
    return User.objects.get(email="ada@example.org")


def link_in(message) -> str:
    return re.search(r"http://\S+/staff-invitations/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def invite(client, scheme, captured, **data):
    with captured(execute=True):
        response = client.post(
            reverse("staff:scheme_staff", args=[scheme.slug]), {"invite": "1", **data}
        )
    return response


def accept(client, captured, url):
    with captured(execute=True):
        return client.post(path_of(url))


# -- site administrators -----------------------------------------------------------------------


def test_the_command_appoints_a_site_administrator_with_an_account_email_and_audit(ada, capsys):
    assert not ada.is_superuser and SiteAdministrator.objects.filter(user=ada).exists()
    assert ada.full_name == "Ada Admin" and not ada.has_usable_password()
    assert needs_two_factor(ada)  # appoints anyone to anything: signs in with two factors
    assert mail.outbox[-1].to == ["ada@example.org"]
    assert "site administrator" in mail.outbox[-1].subject
    # made on the command line: not "A site administrator has made you...", and says how to sign in
    body = mail.outbox[-1].body
    assert "The team that runs this site has made you a site administrator" in body
    assert "ask for a sign-in link to this address" in body
    event = AuditEvent.objects.get(action="staff.site_admin.appointed")
    assert event.object_id == str(ada.pk) and event.actor is None
    call_command("site_admin", "list")
    assert "ada@example.org" in capsys.readouterr().out
    with pytest.raises(CommandError, match="give --name"):
        call_command("site_admin", "add", "nobody@example.org")
    with pytest.raises(CommandError, match="already a site administrator"):
        call_command("site_admin", "add", "ada@example.org")
    with pytest.raises(CommandError, match="at least one site administrator"):
        call_command("site_admin", "remove", "ada@example.org")


def test_site_pages_are_for_site_administrators_only(client, ada, alice, bob):
    pages = [
        reverse("staff:site_home"),
        reverse("staff:institutions"),
        reverse("staff:administrators"),
        reverse("backoffice:new_scheme"),
    ]
    for user in (alice, bob):
        client.force_login(user)
        for url in pages:
            assert client.get(url).status_code == 403, (user, url)
    client.force_login(ada)
    for url in pages:
        assert client.get(url).status_code == 200, url
    home = client.get(reverse("portal:home")).content.decode()
    assert reverse("staff:site_home") in home  # the menu offers it
    client.logout()
    assert client.get(pages[0]).status_code == 302


def test_a_site_administrator_appoints_and_removes_another(
    client, ada, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    url = reverse("staff:administrators")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"appoint": "1", "full_name": "Ben Admin", "email": "Ben@Example.org"}
        )
    assert response.status_code == 302
    ben = User.objects.get(email="ben@example.org")
    assert SiteAdministrator.objects.get(user=ben).granted_by == ada
    assert mail.outbox[-1].to == ["ben@example.org"]
    page = client.get(url).content.decode()
    assert "Ben Admin" in page and "Ada Admin" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"remove": str(ben.pk)})
    assert not SiteAdministrator.objects.filter(user=ben).exists()
    assert "no longer a site administrator" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="staff.site_admin.removed", actor=ada).count() == 1
    response = client.post(url, {"remove": str(ada.pk)}, follow=True)
    assert "at least one site administrator" in response.content.decode()
    assert SiteAdministrator.objects.filter(user=ada).exists()


# -- institutions ------------------------------------------------------------------------------


def test_institutions_and_aliases_find_what_people_type(client, ada):
    client.force_login(ada)
    url = reverse("staff:institutions")
    response = client.post(url, {"name": "University College  London", "short_name": "UCL"})
    assert response.status_code == 302
    ucl = Institution.objects.get(name="University College London")
    response = client.post(url, {"name": "ucl"})
    assert response.status_code == 400
    assert "already names another institution" in response.content.decode()
    detail = reverse("staff:institution", args=[ucl.pk])
    assert client.post(detail, {"add_alias": "1", "alias": "Univ. Coll. London"}).status_code == 302
    response = client.post(detail, {"add_alias": "1", "alias": "university college london"})
    assert response.status_code == 400 and "already names" in response.content.decode()
    assert find_institution(" university college london ") == ucl
    assert find_institution("ucl") == ucl
    assert find_institution("UNIV. COLL.   LONDON") == ucl
    assert find_institution("Somewhere else") is None
    alias = ucl.aliases.get()
    assert client.post(detail, {"remove_alias": str(alias.pk)}).status_code == 302
    assert find_institution("Univ. Coll. London") is None
    assert (
        client.post(detail, {"save": "1", "name": "UCL London", "short_name": "UCL"}).status_code
        == 302
    )
    ucl.refresh_from_db()
    assert ucl.name == "UCL London"
    actions = set(AuditEvent.objects.filter(actor=ada).values_list("action", flat=True))
    assert {
        "schemes.institution.created",
        "schemes.institution.updated",
        "schemes.institution.alias_added",
        "schemes.institution.alias_removed",
    } <= actions


# -- a new scheme and its first coordinator ----------------------------------------------------


NEW_SCHEME = {
    "name": "Horizons",
    "slug": "horizons",
    "summary": "Mentoring across medical schools.",
    "eligibility_statements": "I work in academic medicine.",
    "offers_mentee": "on",
    "offers_mentor": "on",
    "allows_both": "on",
    "max_choices": "3",
    "relationship_months": "6",
    "max_mentor_capacity": "3",
    "career_stages": "Junior\nSenior",
    "identity_dimensions": ["ethnicity"],
    "ideal_seniority_gap": "2",
    **factories.MATCHING_WEIGHTS_FORM,
}


def test_a_site_administrator_creates_a_scheme_and_appoints_its_first_coordinator(
    client, ada, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    client.force_login(ada)
    # the form starts from the defaults: a career-stage scale and the identity questions
    blank = client.get(reverse("backoffice:new_scheme")).context["form"]
    assert blank["career_stages"].value().splitlines() == Scheme().career_stages
    assert blank["identity_dimensions"].value() == Scheme().identity_dimensions
    response = client.post(reverse("backoffice:new_scheme"), NEW_SCHEME)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:scheme_staff", args=["horizons"])
    scheme = Scheme.objects.get(slug="horizons")
    page = client.get(response["Location"])
    assert (
        page.status_code == 200 and "invite the scheme's first coordinator" in page.content.decode()
    )
    response = invite(
        client,
        scheme,
        captured,
        full_name="Cora Ordinator",
        email="cora@example.org",
        role="coordinator",
    )
    assert response.status_code == 302
    invitation = StaffInvitation.objects.get(email="cora@example.org")
    assert invitation.invited_by == ada and invitation.role == Role.COORDINATOR
    message = mail.outbox[-1]
    assert message.to == ["cora@example.org"] and "coordinator of Horizons" in message.subject
    assert OutgoingEmail.objects.get(template="staff_invitation").scheme_id is None
    url = link_in(message)
    # the link shows the invitation and a button; opening it changes nothing
    client.logout()
    shown = client.get(path_of(url))
    assert shown.status_code == 200 and "Accept and sign in" in shown.content.decode()
    assert not User.objects.filter(email="cora@example.org").exists()
    response = accept(client, captured, url)
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:dashboard", args=["horizons"])
    cora = User.objects.get(email="cora@example.org")
    assert cora.full_name == "Cora Ordinator"
    held = StaffRole.objects.get(user=cora, scheme=scheme)
    assert held.role == Role.COORDINATOR and held.granted_by == ada and held.granted_at
    assert client.get(response["Location"]).status_code == 200  # signed in as Cora
    assert mail.outbox[-1].to == ["cora@example.org"]
    assert "You are now scheme coordinator of Horizons" in mail.outbox[-1].subject
    granted = AuditEvent.objects.get(action="staff.role.granted")
    assert granted.actor == ada and granted.data["role"] == "coordinator"
    assert granted.data["invitation_id"] == invitation.pk
    # single use
    again = accept(client, captured, url)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert StaffRole.objects.filter(user=cora).count() == 1


def test_an_invitation_expires_and_only_the_newest_works(
    client, ada, scheme_a, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    client.force_login(ada)
    data = {"full_name": "Eve Aluator", "email": "eve@example.org", "role": "evaluator"}
    invite(client, scheme_a, captured, **data)
    first = link_in(mail.outbox[-1])
    invite(client, scheme_a, captured, **data)
    second = link_in(mail.outbox[-1])
    client.logout()
    response = accept(client, captured, first)
    assert response.status_code == 400 and "withdrawn" in response.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = accept(client, captured, second)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not User.objects.filter(email="eve@example.org").exists()
    response = client.post("/staff-invitations/not-a-token/")
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_accepting_signs_an_existing_account_in_and_out_of_another(
    client, scheme_a, alice, bob, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    client.force_login(alice)
    invite(client, scheme_a, captured, full_name="Bob", email="BOB@example.org", role="evaluator")
    url = link_in(mail.outbox[-1])
    assert "signed in with another account" in client.get(path_of(url)).content.decode()
    response = accept(client, captured, url)
    assert response["Location"] == reverse("evaluation:manage", args=["scheme-a"])
    assert client.get(response["Location"]).wsgi_request.user == bob
    assert StaffRole.objects.filter(user=bob, scheme=scheme_a, role=Role.EVALUATOR).exists()
    assert User.objects.filter(email__iexact="bob@example.org").count() == 1


# -- the rules ---------------------------------------------------------------------------------


def test_a_coordinator_invites_the_first_lead_and_a_committee_member_limited_to_institutions(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    exeter, leeds, york = (
        factories.InstitutionFactory(name=n) for n in ("Exeter", "Leeds", "York")
    )
    client.force_login(alice)
    page = client.get(reverse("staff:scheme_staff", args=["scheme-a"]))
    assert set(page.context["grantable"]) == {
        Role.COORDINATOR,
        Role.SAFEGUARDING,
        Role.EVALUATOR,
        Role.COMMITTEE,
    }
    invite(
        client,
        scheme_a,
        captured,
        full_name="Lee Lead",
        email="lee@example.org",
        role="safeguarding",
    )
    lead_link = link_in(mail.outbox[-1])
    response = invite(
        client,
        scheme_a,
        captured,
        full_name="Cam Mittee",
        email="cam@example.org",
        role="committee",
        institutions=[exeter.pk, leeds.pk],
    )
    assert response.status_code == 302
    committee_link = link_in(mail.outbox[-1])
    assert "Exeter, Leeds" in mail.outbox[-1].body
    response = invite(
        client,
        scheme_a,
        captured,
        full_name="Eve",
        email="eve@example.org",
        role="evaluator",
        institutions=[york.pk],
    )
    assert response.status_code == 400
    assert "Only a committee member" in response.content.decode()
    client.logout()
    accept(client, captured, lead_link)
    assert client.get(reverse("safeguarding:cases", args=["scheme-a"])).status_code == 200
    client.logout()
    accept(client, captured, committee_link)
    cam = User.objects.get(email="cam@example.org")
    held = StaffRole.objects.get(user=cam)
    assert set(held.institutions.all()) == {exeter, leeds}
    report = client.get(reverse("reports:api", args=["scheme-a"])).json()
    assert report["institutions"] == ["Exeter", "Leeds"]
    # now that the scheme has a lead, its coordinator neither makes nor removes leads
    client.force_login(alice)
    page = client.get(reverse("staff:scheme_staff", args=["scheme-a"]))
    assert Role.SAFEGUARDING not in page.context["grantable"]
    response = invite(
        client, scheme_a, captured, full_name="X", email="x@example.org", role="safeguarding"
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    lee = StaffRole.objects.get(role=Role.SAFEGUARDING, scheme=scheme_a)
    with pytest.raises(services.StaffError, match="may not grant or remove"):
        services.revoke_role(lee, actor=alice)
    with pytest.raises(services.StaffError, match="may not grant or remove"):
        services.invite(
            scheme_a, email="x@example.org", full_name="X", role=Role.SAFEGUARDING, actor=alice
        )
    # a coordinator changes a committee member's institutions
    response = client.post(
        reverse("staff:scheme_staff", args=["scheme-a"]),
        {"limit": str(held.pk), f"limit-{held.pk}-institutions": [york.pk]},
    )
    assert response.status_code == 302
    assert list(held.institutions.all()) == [york]


def test_a_lead_makes_another_lead_and_the_last_ones_are_kept(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    lee = factories.make_staff(scheme_a, "safeguarding", email="lee@example.org", full_name="Lee")
    client.force_login(lee)
    page = client.get(reverse("staff:scheme_staff", args=["scheme-a"]))
    assert page.context["grantable"] == [Role.SAFEGUARDING]
    invite(
        client,
        scheme_a,
        captured,
        full_name="Sam Second",
        email="sam@example.org",
        role="safeguarding",
    )
    client.logout()
    accept(client, captured, link_in(mail.outbox[-1]))
    sam = User.objects.get(email="sam@example.org")
    assert StaffRole.objects.get(user=sam).granted_by == lee
    # revoking: the lead may revoke a lead while another remains, never the last
    client.force_login(lee)
    lee_role = StaffRole.objects.get(user=lee)
    sam_role = StaffRole.objects.get(user=sam)
    with captured(execute=True):
        response = client.post(
            reverse("staff:scheme_staff", args=["scheme-a"]), {"revoke": str(sam_role.pk)}
        )
    assert response.status_code == 302 and not StaffRole.objects.filter(user=sam).exists()
    assert mail.outbox[-1].to == ["sam@example.org"]
    assert "no longer safeguarding lead" in mail.outbox[-1].subject
    revoked = AuditEvent.objects.get(action="staff.role.revoked")
    assert revoked.actor == lee and revoked.data == {"role": "safeguarding", "user_id": sam.pk}
    response = client.post(
        reverse("staff:scheme_staff", args=["scheme-a"]), {"revoke": str(lee_role.pk)}, follow=True
    )
    assert "must keep at least one safeguarding lead" in response.content.decode()
    assert StaffRole.objects.filter(pk=lee_role.pk).exists()
    # the same for the last coordinator, even asked by a site administrator
    root = User.objects.create_superuser("root@example.org", "x" * 12, full_name="Root")
    with pytest.raises(services.StaffError, match="at least one scheme coordinator"):
        services.revoke_role(StaffRole.objects.get(user=alice), actor=root)


def test_holders_of_other_roles_and_other_schemes_grant_nothing(
    client, scheme_a, scheme_b, alice, charlie
):
    evaluator = factories.make_staff(scheme_a, "evaluator")
    committee = factories.make_staff(scheme_a, "committee")
    for user in (evaluator, committee, charlie):
        assert services.grantable_roles(user, scheme_a) == []
        client.force_login(user)
        assert client.get(reverse("staff:scheme_staff", args=["scheme-a"])).status_code == 403
        with pytest.raises(services.StaffError):
            services.invite(
                scheme_a, email="x@example.org", full_name="X", role=Role.EVALUATOR, actor=user
            )


def test_an_invitation_whose_sender_lost_the_right_to_grant_is_refused(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    captured = django_capture_on_commit_callbacks
    second = factories.make_staff(scheme_a, "coordinator", email="co2@example.org")
    client.force_login(second)
    invite(client, scheme_a, captured, full_name="Eve", email="eve@example.org", role="evaluator")
    url = link_in(mail.outbox[-1])
    services.revoke_role(StaffRole.objects.get(user=second), actor=alice)
    client.logout()
    response = accept(client, captured, url)
    assert response.status_code == 400 and "can no longer grant" in response.content.decode()
    assert not User.objects.filter(email="eve@example.org").exists()


def test_staff_page_lists_holders_since_when_in_a_fixed_number_of_queries(
    client, scheme_a, alice, django_assert_max_num_queries
):
    for _ in range(3):
        factories.make_staff(scheme_a, "committee")
    client.force_login(alice)
    url = reverse("staff:scheme_staff", args=["scheme-a"])
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for _ in range(6):
        services.grant_role(
            scheme_a,
            factories.UserFactory(),
            Role.COMMITTEE,
            actor=alice,
            institutions=[factories.InstitutionFactory()],
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("Revoke") >= 10


def test_staff_home_pages_do_not_invite_staff_to_register(client, scheme_a, alice, ada, bob):
    for user in (alice, ada):
        client.force_login(user)
        page = client.get(reverse("portal:home")).content.decode()
        assert "express your interest" not in page and "open for registration" not in page
    assert reverse("staff:site_home") in page  # the site administrator's way in
    # someone who takes part somewhere keeps their schemes, staff or not
    StaffRole.objects.create(user=bob, scheme=scheme_a, role=Role.COMMITTEE)
    client.force_login(bob)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Your schemes" in page and "Scheme A" in page
    client.force_login(factories.UserFactory())
    assert "express your interest" in client.get(reverse("portal:home")).content.decode()
