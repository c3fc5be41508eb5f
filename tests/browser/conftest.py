"""Browser test harness: headless Chromium (Playwright, sync API) against pytest-django's live server.

Every test collected under ``tests/browser/`` is marked ``browser`` automatically. Deselect them with
``-m "not browser"``; set ``EQUIMENTOR_SKIP_BROWSER=1`` to skip them. If Chromium is missing the tests
*fail* (they are never silently skipped): install Debian's ``chromium`` or point ``CHROMIUM_PATH`` at
a Chromium binary (default ``/usr/bin/chromium``). Playwright never downloads a browser here.

Writing a journey
-----------------
::

    pytestmark = pytest.mark.django_db(transaction=True)  # live_server needs real commits

    def test_something(site, scheme):
        site.visit(f"/schemes/{scheme.slug}/", "scheme page")      # goto + axe (+ screenshot)
        site.page.get_by_label("Your name").fill("Ada")
        site.submit(site.page.get_by_role("button", name="Send"), "sent")  # click + wait + axe + shot
        site.follow(site.page.get_by_role("link", name="Edit"), "edit")    # same, for a link

Fixtures
--------
``site`` (function)
    A :class:`Site`: the test's :class:`~playwright.sync_api.Page` (``site.page``) plus helpers that
    check every page the test visits. Requesting it also points ``settings.SITE_URL`` at the live
    server (so links in emails work) and clears the cache (rate limits start afresh).
``page`` / ``context`` (function), ``browser`` (session)
    Plain Playwright objects. The context's ``base_url`` is the live server, so ``page.goto("/x/")``
    works. Prefer ``site``: pages reached through the bare ``page`` are not checked unless you call
    ``site.check(name)`` yourself.
``scheme`` / ``make_scheme``
    An open scheme with two eligibility statements, the six document kinds published (version 1,
    the demo wording) and three institutions; ``make_scheme(**fields)`` for variations.
``coordinator``
    A user holding the coordinator role of ``scheme``, with a password kept on it as ``raw_password``:
    ``site.sign_in_with_password(coordinator.email, coordinator.raw_password)``.
``make_registration(scheme, email=..., name=..., role=...)``
    A registered (awaiting review) participant made through the real enrolment services, with every
    consent given against the current documents.

The accessibility check
-----------------------
``site.visit``, ``site.submit``, ``site.follow`` and ``site.check`` run axe-core (the copy bundled
with ``axe-playwright-python``) with the WCAG 2.0/2.1/2.2 A and AA rules on the page that loaded,
then save axe's full result for that page (every impact) to
``test-artifacts/screenshots/<test-name>/<nn>-<slug>.axe.json``. A violation of impact "serious" or
"critical" fails the test with rule id, help text and the offending nodes, and saves a full-page
screenshot of the page beside it (``<nn>-<slug>.png``). To keep a screenshot of *every* page a
journey visits (to look through them), set ``EQUIMENTOR_SCREENSHOTS=1``: a full-page shot costs
about a quarter of a second, a sixth of the browser tests' time, so the suite takes them only when
asked (issue #22).

Every document that loads in the page reports itself (an init script and an exposed function), and
so does anything the Content-Security-Policy refuses in it. At teardown the test fails on a refusal,
or if a page loaded that was never checked, so a journey that clicks through
without a ``site`` helper cannot skip the check by accident. ``site.phone_screenshot(name)`` lays the page out 390px wide
and fails if it then scrolls sideways (WCAG 1.4.10, reflow), saving the shot when it fails or when
``EQUIMENTOR_SCREENSHOTS`` is set.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from importlib import resources
from pathlib import Path

import pytest

from tests import factories

# Playwright's sync API runs an asyncio event loop in this thread; Django's ORM would otherwise
# refuse to run in the test (fixtures, assertions) while it is running.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
ARTIFACTS = Path(os.environ.get("EQUIMENTOR_ARTIFACTS_DIR", REPO_ROOT / "test-artifacts"))

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("EQUIMENTOR_SCREENSHOTS", "").strip().lower() in {"1", "true", "yes"}
TIMEOUT_MS = 15_000  # generous: CI machines are slow; a passing step takes well under a second

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
AXE_SOURCE = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")

# Each top-level document gets an id and reports its load event with it, so a page that loaded but
# was never checked can be told apart from one that was, however late the report arrives.
TRACK_LOADS = """
if (window.top === window) {
  const id = Math.random().toString(36).slice(2) + Date.now().toString(36);
  Object.defineProperty(window, "__equimentorDocument", {value: id});
  window.addEventListener("load", () => window.__equimentorLoaded(id, location.href));
}
// Anything the Content-Security-Policy refuses on our pages is a failure (#23).
document.addEventListener("securitypolicyviolation", (e) => window.__equimentorRefused(
  location.href, e.effectiveDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber));
"""

COORDINATOR_EMAIL = "coordinator@example.org"
COORDINATOR_PASSWORD = "a-long-test-password-42"


def _skip_requested() -> bool:
    return os.environ.get("EQUIMENTOR_SKIP_BROWSER", "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Mark every test under tests/browser/ as ``browser`` (this hook sees the whole session)."""
    for item in items:
        if Path(str(item.path)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# -- the browser ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if _skip_requested():
        pytest.skip("EQUIMENTOR_SKIP_BROWSER is set")
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium not found at {path!r}, so the browser tests cannot run. Install Debian's "
            "package (apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary, or set "
            "EQUIMENTOR_SKIP_BROWSER=1 to skip the browser tests. (Do not run `playwright install`.)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import Error, expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        playwright.stop()
        pytest.fail(f"Chromium at {chromium_path!r} would not start: {exc}", pytrace=False)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="en-GB",
        timezone_id="Europe/London",
        service_workers="block",
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


# -- checking each page ---------------------------------------------------------------------------


class AccessibilityError(AssertionError):
    pass


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "page"


def format_violations(violations: list[dict], url: str) -> str:
    lines = [f"axe found {len(violations)} serious or critical WCAG violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(str(t) for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {target}\n      {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


class Site:
    """The test's page, with navigation helpers that check every page that loads."""

    def __init__(self, page, base_url: str, test_name: str):
        self.page = page
        self.base_url = base_url
        self.shots = ARTIFACTS / "screenshots" / _slug(test_name)
        shutil.rmtree(self.shots, ignore_errors=True)
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.loaded: dict[str, str] = {}  # document id -> URL, for each document that loaded
        self.checked: set[str] = set()  # ids of the documents checked
        self.refused: list[tuple] = []  # Content-Security-Policy violations, as the page saw them
        page.expose_function("__equimentorLoaded", self._loaded)
        page.expose_function("__equimentorRefused", lambda *v: self.refused.append(v))
        page.add_init_script(TRACK_LOADS)

    def _loaded(self, document_id: str, url: str) -> None:
        self.loaded[document_id] = url

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base_url + path

    # navigation -----------------------------------------------------------------------------

    def visit(self, path: str, name: str | None = None, *, status: int = 200):
        """Open ``path`` (relative to the live server), expect ``status``, then check the page."""
        response = self.page.goto(self.url(path))
        self._expect_status(response, status)
        self.check(name or path)
        return response

    def submit(self, control, name: str, *, status: int = 200):
        """Click ``control`` (a submit button), wait for the page it leads to, then check it."""
        with self.page.expect_navigation() as navigation:
            control.click()
        self._expect_status(navigation.value, status)
        self.check(name)
        return navigation.value

    follow = submit  # the same for a link: click, wait for the new page, check it

    def _expect_status(self, response, status: int) -> None:
        assert response is not None, f"no response from {self.page.url}"
        assert response.status == status, (
            f"{response.request.method} {response.url} answered {response.status}, "
            f"expected {status}"
        )

    # checks ---------------------------------------------------------------------------------

    def axe(self) -> dict:
        """Run axe-core's WCAG 2.x A/AA rules on the current page; return its raw result."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(AXE_SOURCE)
        return self.page.evaluate(
            "options => axe.run(document, options)",
            {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
        )

    def check(self, name: str) -> None:
        """Fail on serious/critical axe violations (with a screenshot of the page; of every page
        when ``EQUIMENTOR_SCREENSHOTS`` is set)."""
        self.page.wait_for_load_state("load")
        self.count += 1
        stem = f"{self.count:02d}-{_slug(name)}"
        result = self.axe()
        violations = result["violations"]
        (self.shots / f"{stem}.axe.json").write_text(
            json.dumps({"url": self.page.url, "violations": violations}, indent=2)
        )
        self.checked.add(self.page.evaluate("() => window.__equimentorDocument"))
        serious = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        if serious or SCREENSHOTS:
            self.page.screenshot(path=self.shots / f"{stem}.png", full_page=True)
        if serious:
            raise AccessibilityError(format_violations(serious, self.page.url))

    def phone_screenshot(self, name: str) -> Path:
        """Lay the page out 390px wide; fail if it then scrolls sideways. The full-page shot is
        saved when it fails, or always with ``EQUIMENTOR_SCREENSHOTS``."""
        desktop = self.page.viewport_size
        self.page.set_viewport_size(PHONE)
        try:
            path = self.shots / f"{self.count:02d}-{_slug(name)}-phone.png"
            width = self.page.evaluate("() => document.documentElement.scrollWidth")
            if width > PHONE["width"] or SCREENSHOTS:
                self.page.screenshot(path=path, full_page=True)
            assert width <= PHONE["width"], (
                f"{self.page.url} scrolls sideways at {PHONE['width']}px (content is {width}px wide)"
            )
        finally:
            self.page.set_viewport_size(desktop)
        return path

    def assert_all_checked(self) -> None:
        self.page.evaluate("() => 0")  # a round trip, so any pending load report arrives first
        assert self.refused == [], f"the Content-Security-Policy refused: {self.refused}"
        unchecked = [url for doc, url in self.loaded.items() if doc not in self.checked]
        if unchecked:
            raise AccessibilityError(
                "These pages loaded but were never checked for accessibility: "
                + ", ".join(unchecked)
                + ". Navigate with site.visit/site.submit/site.follow, or call site.check(name)."
            )

    # common steps ---------------------------------------------------------------------------

    def sign_in_with_password(self, email: str, password: str) -> None:
        """Sign in through the password form of the sign-in page."""
        self.visit("/accounts/sign-in/", "sign in")
        form = self.page.get_by_role("region", name="Or use your password")
        form.get_by_label("Email address").fill(email)
        form.get_by_label("Password").fill(password)
        self.submit(form.get_by_role("button", name="Sign in"), "signed in")


@pytest.fixture
def site(page, live_server, settings, request):
    from django.core.cache import cache

    settings.SITE_URL = live_server.url
    cache.clear()
    helper = Site(page, live_server.url, request.node.name)
    yield helper
    call = getattr(request.node, "rep_call", None)
    if call is None or not call.failed:  # a failed test already says what went wrong
        helper.assert_all_checked()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report  # lets `site` skip its teardown check when the test already failed
    return report


# -- data -----------------------------------------------------------------------------------------


@pytest.fixture
def make_scheme(db):
    from equimentor.schemes.models import Institution, Scheme

    def make(**fields) -> Scheme:
        for name in ("University of Leeds", "Cardiff University", "University of Glasgow"):
            Institution.objects.get_or_create(name=name)
        defaults = {
            "name": "Bridges Mentoring",
            "slug": "bridges",
            "summary": "Mentoring for early-career researchers in the health sciences.",
            "description": "Bridges pairs early-career researchers with senior colleagues.",
            "eligibility_statements": [
                "I work in academic medicine or the health sciences.",
                "I am not an undergraduate student.",
            ],
            "identity_dimensions": ["ethnicity", "gender", "disability", "caring"],
            "contact_email": "bridges@example.org",
            "is_open": True,
        }
        scheme = Scheme.objects.create(**{**defaults, **fields})
        factories.publish_documents(scheme)
        return scheme

    return make


@pytest.fixture
def scheme(make_scheme):
    return make_scheme()


@pytest.fixture
def coordinator(scheme):
    from equimentor.accounts.models import User
    from equimentor.schemes.models import StaffRole

    user = User.objects.create_user(
        COORDINATOR_EMAIL, password=COORDINATOR_PASSWORD, full_name="Helen Marsh"
    )
    StaffRole.objects.create(user=user, scheme=scheme, role=StaffRole.Role.COORDINATOR)
    user.raw_password = COORDINATOR_PASSWORD
    return user


@pytest.fixture
def make_registration(db):
    from equimentor.enrolment import services
    from equimentor.enrolment.models import Consent, ExpressionOfInterest, RegistrationInvite
    from equimentor.schemes.models import Institution

    def make(scheme, *, email: str, name: str, role: str = "mentee", **profile):
        institution = Institution.objects.order_by("name").first()
        expression = ExpressionOfInterest.objects.create(
            scheme=scheme, email=email, name=name, institution=institution, declared_eligible=True
        )
        _, raw = RegistrationInvite.issue(expression)
        documents = scheme.current_documents()
        profile = {
            "job_title": "Research fellow",
            "career_stage": 1,
            "pathway": "non_clinical",
            "institution": institution,
            "department": "Public Health",
            "research_interests": "health inequalities; qualitative methods",
            "career_summary": "PhD in epidemiology, now a research fellow.",
            "offers": "Grant writing." if role in {"mentor", "both"} else "",
            "seeks": "Advice on fellowships." if role in {"mentee", "both"} else "",
            "mentor_capacity": 2 if role in {"mentor", "both"} else None,
            "meeting_mode": "virtual",
            "meeting_notes": "",
            **profile,
        }
        return services.register(
            raw,
            services.Registration(
                full_name=name,
                role=role,
                profile=profile,
                consents=dict.fromkeys((*Consent.REQUIRED, Consent.Purpose.EVALUATION), True),
                documents_shown={kind: doc.pk for kind, doc in documents.items()},
                identity_answers={},
                identity_uses={},
            ),
        )

    return make
