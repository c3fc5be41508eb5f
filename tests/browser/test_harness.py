"""The harness itself: axe failures and unchecked pages must not pass silently."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken page</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button>
<p style="color:#bbb;background:#fff">Pale text</p></main></body></html>"""


def test_serious_axe_violations_fail_with_details(site):
    site.page.set_content(BROKEN)
    with pytest.raises(AssertionError) as failure:
        site.check("broken on purpose")
    report = str(failure.value)
    for rule in ("image-alt", "button-name", "color-contrast"):
        assert rule in report, report
    assert "Fix " in report  # axe's failure summary for each node
    assert (site.shots / "01-broken-on-purpose.png").exists()


def test_a_page_loaded_but_not_checked_is_caught(site):
    site.page.goto("/")
    with pytest.raises(AssertionError, match="never checked for accessibility"):
        site.assert_all_checked()
    site.check("home")  # and checking it clears the debt
    site.assert_all_checked()


def test_what_the_content_security_policy_refuses_fails_the_test(site):
    """Our pages send the policy; a page of ours that ran inline script or loaded from elsewhere
    would be refused by the browser, and the harness says so."""
    response = site.visit("/", "home")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    site.page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.ran = 1"; document.body.append(s);
                   const i = document.createElement("img");
                   i.src = "https://elsewhere.example/x.png"; document.body.append(i); }"""
    )
    site.page.wait_for_timeout(200)
    assert site.page.evaluate("() => window.ran") is None
    with pytest.raises(AssertionError, match="Content-Security-Policy refused") as failure:
        site.assert_all_checked()
    assert "script-src-elem" in str(failure.value) and "img-src" in str(failure.value)
    site.refused.clear()


def test_a_page_that_scrolls_sideways_on_a_phone_fails_with_its_screenshot(site):
    """The reflow check needs no screenshot to decide, but keeps one of the page that failed."""
    site.page.set_content(
        '<!doctype html><html lang="en"><head><title>Wide</title></head><body><main>'
        '<h1>Wide</h1><div style="width:900px">A row wider than a phone</div></main></body></html>'
    )
    with pytest.raises(AssertionError, match="scrolls sideways at 390px"):
        site.phone_screenshot("too wide")
    assert (site.shots / "00-too-wide-phone.png").exists()
    site.page.set_content(
        '<!doctype html><html lang="en"><head><title>Narrow</title></head><body><main>'
        "<h1>Narrow</h1><p>Fits.</p></main></body></html>"
    )
    site.phone_screenshot("fits")
