"""Stored XSS (#23): text written by staff or participants reaches other people's browsers only as
text. The questionnaire editor's ``help`` was rendered unescaped to every invited participant."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from equimentor.evaluation import definitions
from equimentor.evaluation.models import Invitation
from tests import evaluation_setup as es
from tests.relationships_setup import pair

PAYLOAD = '"><img src=x onerror=alert(1)>'
RAW = "<img src=x onerror"


def test_questionnaire_help_written_by_an_evaluator_reaches_participants_as_text(
    client, scheme_a, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = pair(scheme_a, alice)
        qs = es.install(scheme_a, alice)
    evaluator = es.staff(scheme_a, "evaluator", "eve@example.org")
    baseline = qs["aimms-baseline"].definition
    edited = definitions.dump(
        {
            **baseline,
            "intro": PAYLOAD,
            "items": [
                {**item, "help": f"Help {n} {PAYLOAD}", "section": f"Part {PAYLOAD}"}
                for n, item in enumerate(baseline["items"])
            ],
        }
    )
    client.force_login(evaluator)
    saved = client.post(
        f"/manage/{scheme_a.slug}/evaluation/questionnaires/aimms-baseline/edit/",
        {"definition": edited},
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    with django_capture_on_commit_callbacks(execute=True):
        es.matched(scheme_a, alice, [(mentors[0], mentees[0])])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    mine = Invitation.objects.get(participant=mentees[0])
    client.force_login(mentees[0].user)
    page = client.get(f"/me/schemes/{scheme_a.slug}/questionnaires/{mine.pk}/").content.decode()
    assert RAW not in page
    assert "Help 0 &quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


# --- every template variable -------------------------------------------------------------------
#
# Every HTML template (pages and HTML emails) is rendered with a context in which every variable,
# and every attribute, key and item of every variable, is the payload. Whatever a template prints
# is therefore attacker-written text; none of it may come out as markup.


class Tainted(str):
    """The payload as a string whose every attribute, key and item is the payload again."""

    def __new__(cls, value=PAYLOAD):
        return super().__new__(cls, value)

    NOT_TEXT = {
        "year",
        "month",
        "day",
        "hour",
        "minute",
        "second",
        "tzinfo",
        "utcoffset",
        "weekday",
    }

    def __getattr__(self, name):
        if name.startswith("__") or name in self.NOT_TEXT:  # dates print no text
            raise AttributeError(name)
        return Tainted()

    def __getitem__(self, key):
        return Tainted()

    def __iter__(self):
        yield Tainted()

    def __call__(self, *args, **kwargs):  # a method of a tainted object (``mapping.get(key)``)
        return Tainted()


class EveryName(dict):
    """A context layer that holds the payload under every name (but the template literals)."""

    LITERALS = {"True", "False", "None"}

    def __contains__(self, key):
        return key not in self.LITERALS

    def __getitem__(self, key):
        if key in self.LITERALS:
            raise KeyError(key)
        return Tainted()

    def get(self, key, default=None):
        return default if key in self.LITERALS else Tainted()


@contextlib.contextmanager
def _lenient_tags():
    """``{% url %}`` with a payload argument cannot reverse, ``{% for a, b in x %}`` cannot
    unpack a string and ``{% include name %}`` cannot load a payload: the first answers a fixed
    path, the second loops once over payloads, the third renders nothing (every template it could
    name is walked on its own)."""
    import django.urls
    from django.template import defaulttags, loader_tags

    real_for = defaulttags.ForNode.render
    real_include = loader_tags.IncludeNode.render

    def include_render(node, context):
        if isinstance(node.template.resolve(context), Tainted):
            return ""
        return real_include(node, context)

    def for_render(node, context):
        sequence = node.sequence

        class Adapted:
            def resolve(self, ctx, ignore_failures=False):
                values = sequence.resolve(ctx, ignore_failures=True)
                if isinstance(values, Tainted):
                    n = len(node.loopvars)
                    return [Tainted() if n == 1 else tuple(Tainted() for _ in range(n))]
                return values

        node.sequence = Adapted()
        try:
            return real_for(node, context)
        finally:
            node.sequence = sequence

    with (
        mock.patch.object(django.urls, "reverse", lambda *a, **k: "/x/"),
        mock.patch.object(defaulttags.ForNode, "render", for_render),
        mock.patch.object(loader_tags.IncludeNode, "render", include_render),
    ):
        yield


def _html_templates():
    """Ours, and every form and widget template Django's forms render through TEMPLATES (where
    ours in templates/django/forms/ take the place of Django's)."""
    import django.forms

    names = set()
    for root in (
        Path(settings.BASE_DIR) / "templates",
        Path(django.forms.__file__).parent / "templates",
    ):
        names |= {str(p.relative_to(root)) for p in root.rglob("*.html")}
    # Not walked: templates/rest_framework/ only restyles Django REST framework's page, whose
    # variables its renderer fills with HTML it escaped itself (forms, the highlighted response);
    # fed raw text they would print it. What people wrote reaching those pages is checked as it
    # really is rendered: test_security_csp.test_the_browsable_api_needs_nothing_the_policy_forbids.
    return sorted(n for n in names if not n.startswith("rest_framework/"))


# Variables a template prints with |safe because code, not a person, wrote them. Each is listed in
# BYPASSES below too, with why it is safe.
GENERATED = {"privacy/two_factor_setup.html": {"qr": "<svg></svg>"}}


@pytest.mark.parametrize("name", _html_templates())
def test_every_template_variable_prints_as_text(name, rf, db):
    from django.template import Context, engines

    template = engines["django"].get_template(name).template
    request = rf.get("/")
    request.user = AnonymousUser()
    context = Context(autoescape=True)
    context.dicts.append(EveryName())  # push() would copy it into a plain dict
    context.push(GENERATED.get(name, {}))
    with _lenient_tags():
        html = template.render(context)
    assert RAW not in html, name


# Every way past autoescaping in the product, and why it is safe. A new one fails this test until
# it is reviewed and listed here (with a template variable in GENERATED, or a test of its own).
BYPASSES = {
    # the QR code SVG drawn by the qrcode library from the TOTP secret
    ("equimentor/templates/privacy/two_factor_setup.html", "{{ qr|safe }}"): 1,
    # Markdown of documents and scheme descriptions, sanitised by nh3 (test_markdown_is_sanitised)
    ("equimentor/core/templatetags/equimentor.py", "mark_safe(render(text))"): 1,
    # report table rows: every cell through conditional_escape (test_templatetags.py)
    ("equimentor/core/templatetags/equimentor.py", 'mark_safe("".join(out))'): 1,
    # the SVG bar charts: every text through escape (test_charts_escape_labels)
    ("equimentor/evaluation/charts.py", 'mark_safe("".join(parts))'): 1,
    # the directory's list of cards: each head a rendered template (escaped), identity answers
    # through format_html_join, the chosen rank's label through format_html, the rest our own
    # text (tests/test_directory_cards_html.py: what a mentor wrote is escaped)
    ("equimentor/directory/views.py", 'mark_safe("".join(_card_html(card)'): 1,
    ("equimentor/directory/views.py", "format_html("): 1,
}
BYPASS = re.compile(
    r"mark_safe\([^\n]*?\)\)?|format_html\(|SafeString\(|\{\{[^}]*\|safe(?:seq)?[^}]*\}\}"
    r"|\{% *autoescape +off *%\}|\|safe\b"
)


def test_every_way_past_autoescaping_is_reviewed():
    root = Path(settings.BASE_DIR).parent
    found: dict[tuple[str, str], int] = {}
    for path in sorted((root / "equimentor").rglob("*")):
        if path.suffix not in {".py", ".html"} or "migrations" in path.parts:
            continue
        rel = str(path.relative_to(root))
        for line in path.read_text().splitlines():
            if line.lstrip().startswith(("from ", "import ")):
                continue
            for match in BYPASS.finditer(line):
                key = (rel, match.group(0))
                found[key] = found.get(key, 0) + 1
    assert found == BYPASSES


def test_markdown_is_sanitised():
    from equimentor.core.templatetags.equimentor import markdown

    html = markdown(
        f"# Privacy\n\n{PAYLOAD}\n\n<script>alert(1)</script>\n\n[link](javascript:alert(1))"
        '\n\n<a href="#" onclick="alert(1)">x</a> <iframe src="https://example.org"></iframe>'
    )
    assert "<h1>Privacy</h1>" in html
    for raw in (RAW, "<script", "javascript:", "onclick", "<iframe"):
        assert raw not in html


def test_charts_escape_labels():
    from equimentor.evaluation.charts import bars

    svg = bars(PAYLOAD, [PAYLOAD, "x" * 39 + "<b>"], [(PAYLOAD, [1, 2])])
    assert RAW not in svg and "<b>" not in svg
    assert svg.count("&lt;img src=x onerror=alert(1)&gt;") == 3


# --- the demo with text planted everywhere people write it, read by every role -------------------

# Every column (and the text inside JSON columns) that a person writes: names, profiles, notes,
# documents, questionnaires, answers, themes, cases, routes, reasons quoting a mentee's interests.
PLANTED = {
    "accounts.User": ["full_name"],
    "schemes.Institution": ["name", "short_name"],
    "schemes.Scheme": ["name", "summary", "description", "eligibility_statements", "career_stages"],
    "schemes.SchemeDocument": ["title", "body"],
    "enrolment.ExpressionOfInterest": ["name", "institution_other"],
    "enrolment.Participant": [
        "status_message",
        "job_title",
        "department",
        "research_interests",
        "career_summary",
        "offers",
        "seeks",
        "meeting_notes",
    ],
    "identity.IdentityAnswer": ["self_description"],
    "directory.Choice": ["note"],
    "matching.MatchingRound": ["name"],
    "matching.ProposedPair": ["reasons"],
    "matching.Proposal": ["reasons", "mentee_note", "mentor_note"],
    "relationships.Relationship": ["name"],
    "relationships.AgreementVersion": [
        "topics",
        "outputs",
        "confidentiality",
        "duration",
        "ending",
    ],
    "relationships.Meeting": ["location", "agenda", "shared_notes", "actions", "video_link"],
    "relationships.PrivateNote": ["body"],
    "relationships.Goal": ["title", "detail"],
    "relationships.GoalReview": ["note"],
    "relationships.Milestone": ["title"],
    "relationships.SponsorshipAct": ["description"],
    "evaluation.Questionnaire": ["title", "definition"],
    "evaluation.Answer": ["text"],
    "evaluation.Theme": ["label", "description"],
    "safeguarding.ContactRoute": ["name", "details"],
    "safeguarding.Case": ["what_happened"],
    "safeguarding.CaseEntry": ["body"],
    "safeguarding.LeavingReason": ["reason"],
    "reports.Benchmark": ["label"],
    "core.OutgoingEmail": ["subject"],
}
# Inside a questionnaire definition: the words participants and staff read.
DEFINITION_TEXT = {"title", "intro", "text", "help", "section", "label", "short", "other_label"}


def _taint(value, field, pk):
    if isinstance(value, list):
        return [_taint(v, field, pk) for v in value]
    if isinstance(value, dict):
        return {
            k: (_taint(v, field, pk) if k in DEFINITION_TEXT or isinstance(v, list | dict) else v)
            for k, v in value.items()
        }
    if not isinstance(value, str) or not value:
        return value
    if field.name == "video_link":
        return "https://video.example.org/?" + PAYLOAD
    text = f"{value} {pk} {PAYLOAD}"
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def plant():
    from django.apps import apps

    planted = 0
    for label, names in PLANTED.items():
        model = apps.get_model(label)
        fields = [model._meta.get_field(n) for n in names]
        for row in model.objects.all():
            for field in fields:
                setattr(row, field.attname, _taint(getattr(row, field.attname), field, row.pk))
            model.objects.filter(pk=row.pk).update(
                **{f.attname: getattr(row, f.attname) for f in fields}
            )
            planted += 1
    return planted


HREF = re.compile(r'href="(/[^"#]*)"')


def crawl(client, starts, *, per_route=2, limit=500):
    """GET every page reachable by links from ``starts`` (at most ``per_route`` addresses of each
    URL pattern); yield (url, response)."""
    from html import unescape

    from django.urls import Resolver404, resolve

    seen, per = set(), {}
    queue = list(starts)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen or url.startswith(settings.STATIC_URL):
            continue
        try:
            route = resolve(url.split("?")[0]).route
        except Resolver404:
            continue
        if per.get(route, 0) >= per_route:
            continue
        per[route] = per.get(route, 0) + 1
        seen.add(url)
        response = client.get(url)
        yield url, response
        if "html" in response.get("Content-Type", ""):
            queue.extend(unescape(h) for h in HREF.findall(response.content.decode()))


@pytest.mark.django_db
def test_planted_text_never_reaches_any_page_as_markup(client, seeded_demo, db):
    from equimentor.accounts.models import User
    from equimentor.demo.seed import SLUG, applicant_link, demo_email
    from equimentor.safeguarding.models import Case
    from equimentor.schemes.models import Scheme, StaffRole

    registration = f"/me/register/{applicant_link()}/"  # the scheme's words to an applicant
    reporter = Case.objects.exclude(reporter=None).first().reporter
    committee = User.objects.create_user(email="committee@example.org", full_name="Committee")
    StaffRole.objects.create(
        user=committee, scheme=Scheme.objects.get(slug=SLUG), role=StaffRole.Role.COMMITTEE
    )
    assert plant() > 1000
    starts = [
        "/",
        "/schemes/",
        f"/schemes/{SLUG}/",
        f"/me/schemes/{SLUG}/",
        f"/manage/{SLUG}/",
        "/manage/",
        "/evaluation/",
        "/concerns/",
        f"/manage/{SLUG}/safeguarding/",
        f"/manage/{SLUG}/evaluation/",
        f"/schemes/{SLUG}/reports/",
        "/safeguarding/access-log/",
        registration,
    ]
    people = [None, committee, reporter] + [
        User.objects.get(email=demo_email(who))
        for who in ("mentee", "mentor", "coordinator", "safeguarding", "evaluator", "admin")
    ]
    pages, leaks, errors = 0, [], []
    for person in people:
        client.logout()
        if person is not None:
            client.force_login(person)
        for url, response in crawl(client, starts):
            pages += 1
            body = response.content.decode(errors="replace")
            # other types (CSV, PDF, JSON, calendar) are data, and never sniffed as HTML
            assert response.get("X-Content-Type-Options") == "nosniff"
            if RAW in body and "html" in response.get("Content-Type", "text/html"):
                leaks.append((person and person.email, url))
            if response.status_code >= 500:
                errors.append((person and person.email, url))
    assert pages > 350
    assert leaks == []
    assert errors == []


def test_pdf_reports_print_names_as_text(tmp_path):
    """reportlab reads a Paragraph's text as markup: a scheme named with an <img> tag made the
    committee's PDF fail, and an image path or URL in it would be read by the server."""
    from pypdf import PdfReader

    from equimentor.reports.exports import to_pdf
    from equimentor.reports.sections import Report

    image = tmp_path / "secret.png"
    name = f'Scheme <img src="{image}" width="9" height="9"/> & <b>co</b>'
    table = Report(title=name, columns=["Group", "n"], rows=[[PAYLOAD, "<5"]], notes=[name])
    pdf = to_pdf(name, "<font size=40>sub</font>", [table])
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert f'<img src="{image}"' in text and "<b>co</b>" in text and "<5" in text
