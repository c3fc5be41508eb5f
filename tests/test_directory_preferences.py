"""The shared characteristics that matter to a mentee: identity codes only with consent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services
from equimentor.directory.models import MenteePreference
from equimentor.directory.services import DirectoryError
from equimentor.enrolment.consents import withdraw_consent
from equimentor.enrolment.models import Consent
from tests import directory_support as support


def test_it_works_with_identity_matching_consent(scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)  # the factory gives identity consent
    pref = services.set_preferences(
        mentee, ["specialty", "ethnicity", "pathway"], actor=mentee.user
    )
    assert pref.wants_shared == ["ethnicity", "pathway", "specialty"]  # the scheme's order
    event = AuditEvent.objects.get(action="directory.preferences.set")
    assert event.data == {"mentee_id": mentee.pk, "codes": ["ethnicity", "pathway", "specialty"]}
    assert services.effective_wants_shared(mentee) == ["ethnicity", "pathway", "specialty"]


def test_it_refuses_identity_codes_without_consent(scheme_a, alice):
    mentee = support.mentee(scheme_a, alice, **support.no_identity())
    with pytest.raises(DirectoryError, match="first agree on your identity page"):
        services.set_preferences(mentee, ["gender", "pathway"], actor=mentee.user)
    assert not MenteePreference.objects.filter(mentee=mentee).exists()
    services.set_preferences(mentee, ["pathway", "specialty"], actor=mentee.user)


def test_it_refuses_unknown_codes(scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)
    # "migration" is a known dimension, but this scheme does not ask it
    for code in ("migration", "postcode"):
        with pytest.raises(DirectoryError, match="Choose only characteristics offered"):
            services.set_preferences(mentee, [code], actor=mentee.user)


def test_identity_codes_stop_counting_when_consent_is_withdrawn(scheme_a, alice):
    mentee = support.mentee(scheme_a, alice)
    services.set_preferences(mentee, ["ethnicity", "pathway"], actor=mentee.user)
    withdraw_consent(mentee, Consent.Purpose.IDENTITY_MATCHING, actor=mentee.user)
    assert services.effective_wants_shared(mentee) == ["pathway"]


def test_the_page_offers_identity_only_with_consent(client, scheme_a, alice):
    consenting = support.mentee(scheme_a, alice)
    client.force_login(consenting.user)
    page = client.get(reverse("directory:choices", args=["scheme-a"])).content.decode()
    assert 'value="ethnicity"' in page and 'value="pathway"' in page

    other = support.mentee(scheme_a, alice, **support.no_identity())
    client.force_login(other.user)
    page = client.get(reverse("directory:choices", args=["scheme-a"])).content.decode()
    assert 'value="ethnicity"' not in page
    assert 'value="pathway"' in page and 'value="specialty"' in page
    assert reverse("enrolment:edit_identity", args=["scheme-a"]) in page

    response = client.post(
        reverse("directory:preferences", args=["scheme-a"]),
        {"wants_shared": ["ethnicity"]},
        follow=True,
    )
    assert "first agree on your identity page" in response.content.decode()
    response = client.post(
        reverse("directory:preferences", args=["scheme-a"]),
        {"wants_shared": ["pathway"]},
        follow=True,
    )
    assert "Your preferences are saved." in response.content.decode()
    assert MenteePreference.objects.get(mentee=other).wants_shared == ["pathway"]


def test_an_unanswered_characteristic_is_said_to_have_no_effect(client, scheme_a, alice):
    """A mentee could tick "gender" without having answered it, to no effect (#21)."""
    from equimentor.identity.models import IdentityAnswer

    mentee = support.mentee(scheme_a, alice)  # answered ethnicity only (the factory)
    IdentityAnswer.objects.create(
        participant=mentee, dimension="disability", value="prefer_not_to_say"
    )
    assert services.unanswered_characteristics(mentee) == {"gender", "disability"}
    client.force_login(mentee.user)
    page = client.get(reverse("directory:choices", args=["scheme-a"])).content.decode()
    note = "You have not answered this question, so ticking it has no effect until you do"
    assert page.count(note) == 2
    for code in ("gender", "disability"):
        label_at = page.index(f'value="{code}"')
        assert note in page[label_at : page.index("</div>", label_at)]
    ethnicity_at = page.index('value="ethnicity"')
    assert note not in page[ethnicity_at : page.index("</div>", ethnicity_at)]
