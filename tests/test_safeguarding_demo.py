"""The demo gives the safeguarding lead two cases to work on, one overdue, and routes to signpost."""

from __future__ import annotations

from django.urls import reverse

from equimentor.safeguarding.models import Case, ContactRoute


def test_the_lead_has_cases_and_the_demo_people_see_none(client, seeded_demo, db):
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


def test_the_named_case_is_about_the_mentor_so_every_action_can_be_tried(client, seeded_demo, db):
    from equimentor.accounts.models import User
    from equimentor.safeguarding.models import Suspension

    named = Case.objects.get(is_anonymous=False)
    mentor = named.relationship.memberships.get(side="mentor").participant
    assert named.subject_id == mentor.user_id
    assert named.excluded.filter(pk=mentor.user_id).exists()
    lead = User.objects.get(email="safeguarding@demo.equimentor.org")
    client.force_login(lead)
    page = reverse("safeguarding:case", args=["horizons", named.pk])
    act = reverse("safeguarding:case_act", args=["horizons", named.pk])
    assert client.get(page).status_code == 200
    # the lead suspends the mentor, then lifts the suspension, from the case page
    for action, said in (("suspend", "suspended"), ("lift", "lifted")):
        response = client.post(act, {"action": action}, follow=True)
        assert response.status_code == 200
        assert said in response.content.decode()
    suspension = Suspension.objects.get(participant=mentor)
    assert suspension.lifted_at is not None
