"""The authorisation matrix over every staff URL: each page and API view wrapped by
``staff.access.scheme_staff`` is requested by a holder of each role, a superuser, a participant and
another scheme's staff (holding every role there).

Two things are checked. What the decorator names is pinned below (``RULES``): a new staff URL
fails here until it is added, and a change of who may use one is a visible change of this table.
And what the view allows matches what the decorator names: a role it names is let in (never 403
or 404), any other is refused with 403, an unknown scheme is 404 — so no view narrows or widens
its rule with a check of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from equimentor.accounts.models import User
from equimentor.api import services as api_services
from equimentor.api.models import APITask, WebhookEndpoint
from equimentor.core.models import AuditEvent
from equimentor.core.roles import Role
from equimentor.enrolment.models import Participant, ParticipantImport
from equimentor.evaluation import services as evaluation
from equimentor.relationships.services.checkins import raise_flag
from equimentor.safeguarding import services as safeguarding
from equimentor.safeguarding.models import CaseAccess
from equimentor.schemes.models import Scheme, StaffRole
from equimentor.staff.models import SiteAdministrator, StaffInvitation
from equimentor.training import induction
from tests import factories
from tests.relationships_setup import accepted, pair
from tests.training_setup import session

C, S, E, M = Role.COORDINATOR, Role.SAFEGUARDING, Role.EVALUATOR, Role.COMMITTEE

# url name -> the roles that may use it (what each view's decorator names)
RULES: dict[str, set[Role]] = {
    "backoffice:dashboard": {C},
    "backoffice:attention": {C},
    "backoffice:remind": {C},
    "backoffice:registrations": {C},
    "backoffice:registration": {C},
    "backoffice:emails": {C},
    "backoffice:settings": {C},
    "backoffice:documents": {C},
    "backoffice:edit_document": {C},
    "backoffice:publish_document": {C},
    "backoffice:import": {C},
    "backoffice:import_map": {C},
    "matching:rounds": {C},
    "matching:open_round": {C},
    "matching:round": {C},
    "matching:close_choices": {C},
    "matching:rerun": {C},
    "matching:adjust": {C},
    "matching:publish": {C},
    "matching:proposals": {C},
    "relationships:manage_list": {C},
    "relationships:manage_export": {C},
    "relationships:manage_new": {C},
    "relationships:manage_settings": {C},
    "relationships:manage_resolve_flag": {C},
    "relationships:manage_detail": {C},
    "relationships:manage_act": {C},
    "training:manage_sessions": {C},
    "training:manage_new_session": {C},
    "training:manage_session": {C},
    "training:manage_edit_session": {C},
    "training:manage_cancel_session": {C},
    "training:manage_attendance": {C},
    "training:manage_induction": {C},
    "training:manage_induction_settings": {C},
    "training:manage_induction_draft": {C},
    "training:manage_induction_item_new": {C},
    "training:manage_induction_item": {C},
    "training:manage_induction_item_delete": {C},
    "training:manage_induction_publish": {C},
    "training:manage_induction_holdups": {C},
    "evaluation:manage": {C, E, M},
    "evaluation:install": {C},
    "evaluation:settings": {C},
    "evaluation:new": {C, E},
    "evaluation:edit": {C, E},
    "evaluation:results": {C, E, M},
    "evaluation:results_export": {C, E, M},
    "evaluation:schedule": {C},
    "evaluation:hold": {C},
    "evaluation:resume": {C},
    "evaluation:send_now": {C},
    "evaluation:preview": {C, E},
    "evaluation:compare": {C, E, M},
    "evaluation:coding": {C, E},
    "evaluation:code_answers": {E},
    "evaluation:import": {C, E},
    "evaluation:mapping_file": {C, E},
    "evaluation:delete_mapping": {C, E},
    "evaluation:export": {C, E},
    "safeguarding:leaving_reasons": {C},
    "safeguarding:cases": {S},
    "safeguarding:trends": {S},
    "safeguarding:routes": {S, C},
    "safeguarding:case": {S},
    "safeguarding:case_act": {S},
    "safeguarding:case_export": {S},
    "privacy:retention": {C},
    "reports:dashboard": {C},
    "reports:settings": {C},
    "reports:committee": {C, M},
    "reports:export": {C, M},
    "reports:api": {C, M},
    "api:registrations": {C},
    "api:registration": {C},
    "api:matching_rounds": {C},
    "api:round_pairs": {C},
    "api:scheme_relationships": {C},
    "api:express_interest": {C},
    "api:import_participants": {C},
    "api:approve_registration": {C},
    "api:query_registration": {C},
    "api:decline_registration": {C},
    "api:matching_round": {C},
    "api:close_choices": {C},
    "api:dry_run": {C},
    "api:round_adjustments": {C},
    "api:publish_round": {C},
    "api:task": {C},
    "api:scheme_relationship_pause": {C},
    "api:scheme_relationship_resume": {C},
    "api:scheme_relationship_close": {C},
    "api:scheme_relationship_remove_member": {C},
    "api:scheme_staff": {C, S},
    "api:staff_role": {C, S},
    "api:staff_invitations": {C, S},
    "api:staff_invitation": {C, S},
    "api:documents": {C},
    "api:publish_document": {C},
    "api:overdue_cases": {S},
    "api:questionnaires": {C, E, M},
    "api:questionnaire_results": {C, E, M},
    "api:hold_questionnaire": {C},
    "api:resume_questionnaire": {C},
    "api:send_questionnaire_now": {C},
    "api:sessions": {C},
    "api:session": {C},
    "api:cancel_session": {C},
    "api:session_registrations": {C},
    "api:session_attendance": {C},
    "api:webhooks": {C},
    "api:webhook": {C},
    "api:webhook_secret": {C},
    "api:webhook_deliveries": {C},
    "staff:scheme_staff": {C, S},
    "tokens:scheme": {C},
    "tokens:webhooks": {C},
    "tokens:webhook": {C},
}
# ... and where site administrators are let in too (``scheme_staff(..., site_admins=True)``)
SITE_ADMINS_TOO = {
    "staff:scheme_staff",
    "api:scheme_staff",
    "api:staff_role",
    "api:staff_invitations",
    "api:staff_invitation",
}


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}", p


def staff_urls() -> dict[str, tuple[tuple[str, ...], bool]]:
    """Every URL whose view is wrapped by ``scheme_staff``: name -> (the roles it names,
    whether site administrators are let in)."""
    found = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", pattern.callback)
        if str(getattr(view, "access_rule", "")).startswith("scheme-staff:"):
            found[name] = (view.staff_roles, view.site_admins)
    return found


def test_every_staff_url_is_in_the_table_with_the_roles_its_decorator_names():
    named = {name: set(roles) for name, (roles, _) in staff_urls().items()}
    assert named == RULES
    assert {name for name, (_, admins) in staff_urls().items() if admins} == SITE_ADMINS_TOO


@pytest.fixture
def world(scheme_a, scheme_b, alice, django_capture_on_commit_callbacks):
    """Scheme A with one of everything a staff URL points at, and its people."""
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice, mentors=2)
        rel = accepted(scheme_a, alice, mentors[0], mentees[0])
    holders = {role: factories.make_staff(scheme_a, role) for role in Role}
    holders[C] = alice
    case, _ = safeguarding.raise_concern(
        mentees[0].user,
        scheme_a,
        safeguarding.Concern("harassment", "x", "action", relationship=rel),
    )
    flag = raise_flag(scheme_a, "meetings_lapsed", "matrix", relationship=rel)
    training_session = session(scheme_a, alice)
    draft = induction.start_draft(scheme_a, actor=alice)
    draft_item = induction.save_item(
        draft, induction.ItemData("link", "AMS", url="https://x.example"), actor=alice
    )
    evaluation.install_shipped(scheme_a, actor=alice)
    site_admin = factories.UserFactory(email="site-admin@example.org")
    SiteAdministrator.objects.create(user=site_admin)
    other = factories.UserFactory(email="everything-in-b@example.org")
    for role in Role:
        StaffRole.objects.create(user=other, scheme=scheme_b, role=role)
    people = {
        **{role.value: user for role, user in holders.items()},
        "superuser": User.objects.create_superuser("root@example.org", "x" * 12, full_name="R"),
        "site administrator": site_admin,
        "participant": mentees[0].user,
        "other scheme's staff": other,
    }
    objects = {
        "participant": mentees[1].pk if len(mentees) > 1 else mentors[1].pk,
        "document": scheme_a.documents.first().pk,
        "round": rel.proposal.round_id,
        "relationship": rel.pk,
        "flag": flag.pk,
        "case": case.pk,
        "session": training_session.pk,
        "upload": ParticipantImport.objects.create(
            scheme=scheme_a, filename="x.csv", content=b"email,name\n", headers=["email", "name"]
        ).pk,
        "induction item": draft_item.pk,
        "staff role": StaffRole.objects.get(user=holders[Role.EVALUATOR], scheme=scheme_a).pk,
        "staff invitation": StaffInvitation.objects.create(
            scheme=scheme_a,
            role=Role.EVALUATOR,
            email="invited@example.org",
            full_name="I",
            token_hash="0" * 64,
            expires_at=timezone.now() + timedelta(days=7),
        ).pk,
        "task": APITask.objects.create(
            scheme=scheme_a, kind="matching.publish", created_by=alice
        ).pk,
        "webhook": WebhookEndpoint.objects.create(
            scheme=scheme_a, url="https://hooks.example.org/", events=["relationship.started"]
        ).pk,
        "import mapping": evaluation.save_import_mapping(
            scheme_a, "aimms-month-6", "Forms", columns={"Q": "stars"}, values={}, actor=alice
        ).pk,
    }
    return scheme_a, people, objects


PK_OF = {
    "backoffice:registration": "participant",
    "api:registration": "participant",
    "backoffice:publish_document": "document",
    "backoffice:import_map": "upload",
    "matching:round": "round",
    "matching:close_choices": "round",
    "matching:rerun": "round",
    "matching:adjust": "round",
    "matching:publish": "round",
    "api:round_pairs": "round",
    "api:approve_registration": "participant",
    "api:query_registration": "participant",
    "api:decline_registration": "participant",
    "api:matching_round": "round",
    "api:close_choices": "round",
    "api:dry_run": "round",
    "api:round_adjustments": "round",
    "api:publish_round": "round",
    "api:task": "task",
    "api:webhook": "webhook",
    "api:webhook_secret": "webhook",
    "api:webhook_deliveries": "webhook",
    "tokens:webhook": "webhook",
    "api:scheme_relationship_pause": "relationship",
    "api:scheme_relationship_resume": "relationship",
    "api:scheme_relationship_close": "relationship",
    "api:scheme_relationship_remove_member": "relationship",
    "api:staff_role": "staff role",
    "api:staff_invitation": "staff invitation",
    "api:publish_document": "document",
    "api:session": "session",
    "api:cancel_session": "session",
    "api:session_registrations": "session",
    "api:session_attendance": "session",
    "relationships:manage_detail": "relationship",
    "relationships:manage_act": "relationship",
    "relationships:manage_resolve_flag": "flag",
    "training:manage_session": "session",
    "training:manage_edit_session": "session",
    "training:manage_cancel_session": "session",
    "training:manage_attendance": "session",
    "training:manage_induction_item": "induction item",
    "training:manage_induction_item_delete": "induction item",
    "safeguarding:case": "case",
    "safeguarding:case_act": "case",
    "safeguarding:case_export": "case",
    "evaluation:mapping_file": "import mapping",
    "evaluation:delete_mapping": "import mapping",
}
OTHER_KWARGS = {
    "backoffice:edit_document": {"kind": "privacy_notice"},
    "backoffice:attention": {"kind": "rank_choices"},
    "backoffice:remind": {"kind": "rank_choices"},
    "evaluation:edit": {"code": "aimms-month-6"},
    "evaluation:results": {"code": "aimms-month-6"},
    "evaluation:results_export": {"code": "aimms-month-6", "fmt": "csv"},
    "evaluation:schedule": {"code": "aimms-month-6"},
    "evaluation:hold": {"code": "aimms-month-6"},
    "evaluation:resume": {"code": "aimms-month-6"},
    "evaluation:send_now": {"code": "aimms-month-6"},
    "evaluation:preview": {"code": "aimms-month-6"},
    "evaluation:coding": {"code": "aimms-month-6", "item": "improve"},
    "evaluation:code_answers": {"code": "aimms-month-6", "item": "improve"},
    "evaluation:export": {"fmt": "csv"},
    "api:questionnaire_results": {"code": "aimms-month-6", "fmt": "csv"},
    "api:hold_questionnaire": {"code": "aimms-month-6"},
    "api:resume_questionnaire": {"code": "aimms-month-6"},
    "api:send_questionnaire_now": {"code": "aimms-month-6"},
    "reports:export": {"fmt": "csv"},
}


def url_for(name: str, slug: str, objects: dict) -> str:
    kwargs = {"slug": slug, **OTHER_KWARGS.get(name, {})}
    if name in PK_OF:
        kwargs["pk"] = objects[PK_OF[name]]
    return reverse(name, kwargs=kwargs)


def may(who: str, name: str) -> bool:
    roles = RULES[name]
    if who == "superuser":  # a superuser acts in every role but the safeguarding lead's
        return roles != {S} or name in SITE_ADMINS_TOO
    if who == "site administrator":
        return name in SITE_ADMINS_TOO
    return who in {r.value for r in roles}


def test_each_view_allows_exactly_the_roles_its_decorator_names(world):
    scheme, people, objects = world
    urls = staff_urls()
    clients = {who: Client() for who in people}  # each person signed in once, on their own client
    for who, user in people.items():
        clients[who].force_login(user)
    mismatches = []
    for name in sorted(urls):
        url = url_for(name, scheme.slug, objects)
        for who in people:
            got = clients[who].get(url).status_code
            allowed = may(who, name)
            if allowed and got in (403, 404) or not allowed and got != 403:
                mismatches.append(f"{name} as {who}: {got} ({'let in' if allowed else 'refused'})")
    assert mismatches == []


def test_an_unknown_scheme_is_404_and_signed_out_people_are_sent_to_sign_in(client, world):
    scheme, people, objects = world
    client.force_login(people["superuser"])
    for name in staff_urls():
        assert client.get(url_for(name, "no-such-scheme", objects)).status_code == 404, name
    client.logout()
    for name in staff_urls():
        got = client.get(url_for(name, scheme.slug, objects)).status_code
        assert got == (403 if name.startswith(("api:", "reports:api")) else 302), name


def test_another_schemes_staff_get_nothing_through_the_api(client, world):
    scheme, people, objects = world
    client.force_login(people["other scheme's staff"])
    for name in [n for n in staff_urls() if n.startswith("api:") or n == "reports:api"]:
        response = client.get(url_for(name, scheme.slug, objects))
        assert response.status_code == 403 and "results" not in response.json(), name


def test_a_superuser_reads_cases_only_as_a_lead_and_is_audited_either_way(client, world):
    scheme, people, objects = world
    root = people["superuser"]
    client.force_login(root)
    case_url = url_for("safeguarding:case", scheme.slug, objects)
    assert client.get(case_url).status_code == 403
    assert client.get(url_for("safeguarding:cases", scheme.slug, objects)).status_code == 403
    refused = AuditEvent.objects.filter(action="safeguarding.superuser_refused", actor=root)
    assert refused.count() == 2 and {e.scheme_id for e in refused} == {scheme.pk}
    # routes are the coordinators' too, so a superuser opens them (no safeguarding decision)
    assert client.get(url_for("safeguarding:routes", scheme.slug, objects)).status_code == 200
    assert refused.count() == 2
    StaffRole.objects.create(user=root, scheme=scheme, role=S)
    assert client.get(case_url).status_code == 200
    assert (
        AuditEvent.objects.filter(action="safeguarding.superuser_allowed", actor=root).count() == 1
    )
    assert CaseAccess.objects.filter(user=root, case_number=objects["case"]).count() == 1


def site_admin_urls() -> list[str]:
    """Every URL whose view is wrapped by ``site_admin``."""
    return sorted(
        name
        for name, pattern in _walk(get_resolver().url_patterns)
        if getattr(pattern.callback, "access_rule", "") == "site-admin"
    )


def test_site_administrators_pages_are_theirs_alone(client, world):
    _, people, _ = world
    inst = factories.InstitutionFactory()
    kwargs = {"staff:institution": {"pk": inst.pk}, "sso:site_provider": {"institution": inst.pk}}
    mismatches = []
    for name in site_admin_urls():
        url = reverse(name, kwargs=kwargs.get(name, {}))
        for who, user in people.items():
            client.force_login(user)
            got = client.get(url).status_code
            allowed = who in ("site administrator", "superuser")
            if allowed and got in (403, 404) or not allowed and got != 403:
                mismatches.append(f"{name} as {who}: {got}")
        client.logout()
        if client.get(url).status_code != 302:
            mismatches.append(f"{name} signed out: not sent to sign in")
    assert mismatches == []
    assert {"staff:site_home", "staff:institutions", "staff:administrators"} <= set(
        site_admin_urls()
    )


# Views used with a scheme's service token only (SCIM provisioning, /scim/v2/): url name -> the
# rule their decorator states. A session never counts there; only a coordinator can make a
# service token, so the coordinator is the one role let in.
TOKEN_ONLY: dict[str, str] = {
    "scim:users": "scheme-service-token:coordinator:provisioning",
    "scim:users-search": "scheme-service-token:coordinator:provisioning",
    "scim:service-provider-config": "scheme-service-token:coordinator:provisioning",
    "scim:resource-types": "scheme-service-token:coordinator:provisioning",
    "scim:schemas": "scheme-service-token:coordinator:provisioning",
}


def token_only_urls() -> dict[str, str]:
    return {
        name: pattern.callback.access_rule
        for name, pattern in _walk(get_resolver().url_patterns)
        if str(getattr(pattern.callback, "access_rule", "")).startswith("scheme-service-token")
    }


def test_every_token_only_url_is_in_the_table():
    assert token_only_urls() == TOKEN_ONLY


def test_scim_lets_in_a_coordinators_service_token_and_nobody_else(client, world):
    scheme, people, objects = world
    scopes = ["provisioning:read", "provisioning:write"]
    url = {name: reverse(name) for name in TOKEN_ONLY if name != "scim:users-search"}
    mismatches = []
    for who, user in people.items():
        _, raw = api_services.create_token(
            user, name="matrix", scopes=scopes, days=1, scheme=None, actor=user
        )
        client.force_login(user)
        for name, address in url.items():
            if client.get(address).status_code != 401:  # the session is not read
                mismatches.append(f"{name} by {who}'s session")
            if client.get(address, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code != 403:
                mismatches.append(f"{name} by {who}'s personal token")
        client.logout()
    _, service = api_services.create_token(
        people["coordinator"], name="m", scopes=scopes, days=1, scheme=scheme, actor=None
    )
    for name, address in url.items():
        if client.get(address, HTTP_AUTHORIZATION=f"Bearer {service}").status_code != 200:
            mismatches.append(f"{name} by the coordinator's service token")
    assert mismatches == []
    # the other scheme's coordinator's service token lists none of this scheme's participants
    other = people["other scheme's staff"]
    _, theirs = api_services.create_token(
        other,
        name="b",
        scopes=scopes,
        days=1,
        scheme=Scheme.objects.get(slug="scheme-b"),
        actor=None,
    )
    listed = client.get(url["scim:users"], HTTP_AUTHORIZATION=f"Bearer {theirs}").json()
    assert listed["totalResults"] == 0
    mine = client.get(url["scim:users"], HTTP_AUTHORIZATION=f"Bearer {service}").json()
    assert mine["totalResults"] == Participant.objects.filter(scheme=scheme).count() > 0
