"""Very long unbroken text (3,000 characters in a profile field) made pages 27,000 px wide (#21):
text wraps wherever it must, at desktop and at phone width."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "x" * 3000


def test_a_long_unbroken_answer_wraps(site, scheme, coordinator, make_registration):
    from equimentor.enrolment.models import Participant

    person = make_registration(scheme, email="long@example.ac.uk", name="Lee Long", role="mentee")
    limit = {f: Participant._meta.get_field(f).max_length for f in ("department", "job_title")}
    Participant.objects.filter(pk=person.pk).update(
        research_interests=LONG,  # a text field: no limit
        department="y" * limit["department"],  # as long as the field allows, unbroken
        job_title="z" * limit["job_title"],
    )
    site.sign_in_with_password(coordinator.email, coordinator.raw_password)
    site.visit(f"/manage/{scheme.slug}/registrations/{person.pk}/", "registration with long text")
    width = site.page.evaluate("() => document.documentElement.scrollWidth")
    viewport = site.page.viewport_size["width"]
    assert width <= viewport, f"{width}px wide at a {viewport}px window"
    assert LONG in site.page.content()  # all of it is there, wrapped, not cut
    site.phone_screenshot("registration with long text")  # fails if it scrolls sideways
    site.visit(f"/manage/{scheme.slug}/registrations/?status=all", "registrations with long text")
    site.phone_screenshot("registrations with long text")
