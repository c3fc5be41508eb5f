"""The demo gives the safeguarding lead two cases to work on, one overdue, and routes to signpost."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.demo.seed import seed
from equimentor.safeguarding.models import Case, ContactRoute


@pytest.mark.django_db
def test_the_lead_has_cases_and_the_demo_people_see_none(client):
    seed()
    assert Case.objects.count() == 2
    assert ContactRoute.objects.count() == 3
    from equimentor.accounts.models import User

    client.force_login(User.objects.get(email="safeguarding@demo.equimentor.org"))
    page = client.get(reverse("safeguarding:cases", args=["horizons"]))
    assert page.status_code == 200
    assert "overdue" in page.content.decode().lower()
    for email in ("mentor@demo.equimentor.org", "mentee@demo.equimentor.org"):
        user = User.objects.get(email=email)
        assert not Case.objects.filter(subject=user).exists()
        assert not Case.objects.filter(excluded=user).exists()
