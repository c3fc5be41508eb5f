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
