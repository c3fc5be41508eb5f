"""The induction pack: versions built by the coordinator, each person's progress, quiz and
acknowledgement rules, a new version asking only what changed, the directory/matching/ranking gate,
who is held back by what, and reminders."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from equimentor.core.models import AuditEvent
from equimentor.directory import services as directory
from equimentor.directory.access import listed_mentors
from equimentor.matching.adapter import available_mentors, eligible_mentees
from equimentor.training import induction
from equimentor.training.induction import InductionError, ItemData
from equimentor.training.models import InductionItem, ItemCompletion
from tests.matching_setup import people


def _pack(scheme, actor, items):
    draft = induction.start_draft(scheme, actor=actor)
    made = [induction.save_item(draft, data, actor=actor) for data in items]
    induction.publish(draft, actor=actor)
    return made


GUIDE = ItemData("document", "Mentoring guide", body="# Welcome\n\nRead **this** first.")
AMS = ItemData("link", "AMS mentoring resources", url="https://acmedsci.example/mentoring")
WEBINAR = ItemData("webinar", "Training webinar", url="https://video.example/webinar")
QUIZ = ItemData(
    "question",
    "Confidentiality",
    body="Who may read your private notes?",
    options=["Only me", "My mentor", "The coordinator"],
    correct_option=0,
)
CONDUCT = ItemData(
    "question",
    "Code of conduct (mentors)",
    body="I have read the code of conduct for mentors.",
    audience="mentors",
)
OPTIONAL = ItemData("link", "Further reading", url="https://example.org/more", required=False)


@pytest.fixture
def cohort(scheme_a, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mentors, mentees = people(scheme_a, alice, mentors=2, mentees=2, capacity=2)
    mail.outbox.clear()
    return mentors, mentees


def test_coordinator_builds_and_publishes_a_pack_through_the_pages(client, scheme_a, alice):
    client.force_login(alice)
    base = reverse("training:manage_induction", args=["scheme-a"])
    assert b"No version published yet" in client.get(base).content
    client.post(reverse("training:manage_induction_draft", args=["scheme-a"]))
    new = reverse("training:manage_induction_item_new", args=["scheme-a"])
    bad = client.post(
        new, {"kind": "document", "title": "Guide", "audience": "both", "position": 1}
    )
    assert bad.status_code == 400 and b"Write the document" in bad.content
    bad = client.post(
        new,
        {
            "kind": "question",
            "title": "Quiz",
            "body": "Pick one",
            "options": "Only one answer",
            "audience": "both",
            "position": 1,
        },
    )
    assert b"at least two answers" in bad.content
    bad = client.post(
        new,
        {
            "kind": "question",
            "title": "Quiz",
            "body": "Pick one",
            "options": "A\nB",
            "correct_option": 3,
            "audience": "both",
            "position": 1,
        },
    )
    assert b"Say which answer is right" in bad.content
    ok = client.post(
        new,
        {
            "kind": "document",
            "title": "Guide",
            "body": "Hello",
            "audience": "both",
            "required": "on",
            "position": 1,
        },
    )
    assert ok.status_code == 302
    ok = client.post(
        new,
        {
            "kind": "webinar",
            "title": "Webinar",
            "url": "https://video.example/w",
            "audience": "mentors",
            "position": 2,
        },
    )
    assert ok.status_code == 302
    page = client.get(base)
    assert b"Draft of version 1" in page.content and b"Webinar" in page.content
    client.post(reverse("training:manage_induction_publish", args=["scheme-a"]))
    page = client.get(base)
    assert b"Version 1, published" in page.content
    items = list(InductionItem.objects.filter(pack__version=1).order_by("position"))
    assert [(i.key, i.required, i.audience) for i in items] == [
        ("guide", True, "both"),
        ("webinar", False, "mentors"),
    ]
    assert AuditEvent.objects.filter(action="training.induction.published").count() == 1
    # a published item cannot be edited: only a draft's items are reachable
    url = reverse("training:manage_induction_item", args=["scheme-a", items[0].pk])
    assert client.get(url).status_code == 403


def test_progress_quiz_and_acknowledgement(client, scheme_a, alice, cohort):
    mentors, mentees = cohort
    guide, _, _, quiz, conduct, _ = _pack(
        scheme_a, alice, [GUIDE, AMS, WEBINAR, QUIZ, CONDUCT, OPTIONAL]
    )
    mentee = mentees[0]
    client.force_login(mentee.user)
    page = client.get(reverse("training:induction", args=["scheme-a"]))
    assert b"0 of 4 required items done" in page.content
    assert b"Code of conduct (mentors)" not in page.content  # for mentors only
    doc = client.get(reverse("training:induction_item", args=["scheme-a", guide.pk]))
    assert b"<strong>this</strong>" in doc.content
    client.post(reverse("training:induction_item", args=["scheme-a", guide.pk]))
    wrong = client.post(
        reverse("training:induction_item", args=["scheme-a", quiz.pk]), {"answer": 1}
    )
    assert wrong.status_code == 400 and b"not quite right" in wrong.content
    assert not ItemCompletion.objects.filter(participant=mentee, key=quiz.key).exists()
    client.post(reverse("training:induction_item", args=["scheme-a", quiz.pk]), {"answer": 0})
    page = client.get(reverse("training:induction", args=["scheme-a"]))
    assert b"2 of 4 required items done" in page.content
    assert (
        client.get(reverse("training:induction_item", args=["scheme-a", conduct.pk])).status_code
        == 404
    )
    mentor = mentors[0]
    with pytest.raises(InductionError, match="Tick the box"):
        induction.complete_item(mentor, conduct, actor=None)
    induction.complete_item(mentor, conduct, acknowledged=True, actor=None)
    induction.complete_item(mentor, conduct, acknowledged=True, actor=None)  # twice: one record
    assert ItemCompletion.objects.filter(participant=mentor).count() == 1
    assert AuditEvent.objects.filter(action="training.induction.item_done").count() == 3


def test_a_new_version_asks_only_what_changed(scheme_a, alice, cohort):
    _, mentees = cohort
    mentee = mentees[0]
    guide, ams, webinar, quiz = _pack(scheme_a, alice, [GUIDE, AMS, WEBINAR, QUIZ])
    for item in (guide, ams, webinar):
        induction.complete_item(mentee, item, actor=None)
    induction.complete_item(mentee, quiz, answer=0, actor=None)
    assert induction.progress(mentee).complete
    draft = induction.start_draft(scheme_a, actor=alice)
    copies = {i.key: i for i in draft.items.all()}
    # a new title and position only: still done; a changed link and a new item: asked again
    induction.save_item(
        draft,
        ItemData("document", "Our mentoring guide", body=GUIDE.body, position=9),
        item=copies["mentoring-guide"],
        actor=alice,
    )
    induction.save_item(
        draft,
        ItemData("webinar", "Training webinar", url="https://video.example/webinar-2026"),
        item=copies["training-webinar"],
        actor=alice,
    )
    induction.save_item(
        draft, ItemData("link", "Sponsorship", url="https://x.example/s"), actor=alice
    )
    induction.publish(draft, actor=alice)
    progress = induction.progress(mentee)
    todo = sorted(s.item.title for s in progress.steps if not s.done_at)
    assert todo == ["Sponsorship", "Training webinar"]
    assert progress.required_done == 3 and not progress.complete
    with pytest.raises(InductionError, match="not in your scheme's current"):
        induction.complete_item(mentee, webinar, actor=None)  # the old version's item


def test_the_gate_holds_back_mentors_and_mentees_until_done(client, scheme_a, alice, cohort):
    mentors, mentees = cohort
    guide, conduct = _pack(scheme_a, alice, [GUIDE, CONDUCT])
    ready_mentor, held_mentor = mentors
    mentee = mentees[0]
    for item, kw in ((guide, {}), (conduct, {"acknowledged": True})):
        induction.complete_item(ready_mentor, item, actor=None, **kw)
    induction.complete_item(held_mentor, guide, actor=None)  # conduct still to do
    everyone = {ready_mentor.pk, held_mentor.pk}
    # the setting is off: nobody is held back
    assert set(listed_mentors(scheme_a).values_list("pk", flat=True)) == everyone
    assert set(available_mentors(scheme_a).values_list("pk", flat=True)) == everyone
    assert set(eligible_mentees(scheme_a).values_list("pk", flat=True)) == {m.pk for m in mentees}
    directory.add_choice(mentee, held_mentor, actor=mentee.user)
    directory.remove_choice(mentee, held_mentor, actor=mentee.user)

    client.force_login(alice)
    client.post(
        reverse("training:manage_induction_settings", args=["scheme-a"]),
        {"mentors_must_complete": "on", "mentees_must_complete": "on"},
    )
    assert set(listed_mentors(scheme_a).values_list("pk", flat=True)) == {ready_mentor.pk}
    assert set(available_mentors(scheme_a).values_list("pk", flat=True)) == {ready_mentor.pk}
    assert list(eligible_mentees(scheme_a)) == []
    with pytest.raises(directory.DirectoryError, match="induction pack before ranking"):
        directory.add_choice(mentee, ready_mentor, actor=mentee.user)
    with pytest.raises(directory.DirectoryError, match="induction pack before ranking"):
        directory.set_choices(mentee, [ready_mentor.pk], actor=mentee.user)
    induction.complete_item(mentee, guide, actor=None)
    assert {m.pk for m in eligible_mentees(scheme_a)} == {mentee.pk}
    with pytest.raises(directory.DirectoryError, match="listed in this scheme's directory"):
        directory.add_choice(mentee, held_mentor, actor=mentee.user)
    directory.add_choice(mentee, ready_mentor, actor=mentee.user)
    # the directory page shows the ready mentor only, and the held one's own page says why
    client.force_login(mentees[1].user)
    page = client.get(reverse("directory:mentors", args=["scheme-a"])).content.decode()
    assert f"/mentors/{ready_mentor.pk}/" in page and f"/mentors/{held_mentor.pk}/" not in page
    client.force_login(held_mentor.user)
    page = client.get(reverse("training:induction", args=["scheme-a"]))
    assert b"Mentors appear in the directory" in page.content
    induction.complete_item(held_mentor, conduct, acknowledged=True, actor=None)
    assert set(listed_mentors(scheme_a).values_list("pk", flat=True)) == everyone


def test_who_is_held_back_and_reminders(
    client, scheme_a, alice, cohort, django_capture_on_commit_callbacks
):
    mentors, mentees = cohort
    guide, conduct = _pack(scheme_a, alice, [GUIDE, CONDUCT])
    induction.save_settings(
        scheme_a, mentors_must_complete=True, mentees_must_complete=False, actor=alice
    )
    induction.complete_item(mentees[0], guide, actor=None)
    induction.complete_item(mentors[0], guide, actor=None)
    client.force_login(alice)
    url = reverse("training:manage_induction_holdups", args=["scheme-a"])
    page = client.get(url).content.decode()
    assert "3 approved participants with required items to do" in page
    assert "the directory and matching (as a mentor)" in page
    assert "Nothing (not required by the scheme" in page  # the mentee: her gate is off
    by_item = client.get(reverse("training:manage_induction", args=["scheme-a"])).content
    assert b"3 approved participants have required items to do" in by_item
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"participant": [mentors[1].pk]})
    assert [m.to for m in mail.outbox] == [[mentors[1].user.email]]
    body = mail.outbox[0].body
    assert "Mentoring guide" in body and "Code of conduct (mentors)" in body
    assert "/me/schemes/scheme-a/induction/" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)  # everyone listed but the one reminded today
    assert b"Reminder sent to 2 people" in response.content
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [mentors[1].user.email, mentors[0].user.email, mentees[1].user.email]
    )
    assert AuditEvent.objects.filter(action="training.induction.reminded").count() == 2


def test_another_schemes_staff_and_participants_get_nothing(
    client, scheme_a, scheme_b, alice, charlie, cohort
):
    from tests import factories

    (guide,) = _pack(scheme_a, alice, [GUIDE])
    draft = induction.start_draft(scheme_a, actor=alice)
    copy = draft.items.get()
    client.force_login(charlie)
    for name, args in (
        ("manage_induction", []),
        ("manage_induction_holdups", []),
        ("manage_induction_item", [copy.pk]),
    ):
        assert client.get(reverse(f"training:{name}", args=["scheme-a", *args])).status_code == 403
    assert (
        client.get(
            reverse("training:manage_induction_item", args=["scheme-b", copy.pk])
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("training:manage_induction_item_delete", args=["scheme-b", copy.pk])
        ).status_code
        == 403
    )
    outsider = factories.register_participant(scheme_b, "outsider@example.org", approve_by=charlie)
    client.force_login(outsider.user)
    for slug in ("scheme-a", "scheme-b"):
        url = reverse("training:induction_item", args=[slug, guide.pk])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert not ItemCompletion.objects.exists()
    assert (
        b"no induction pack" in client.get(reverse("training:induction", args=["scheme-b"])).content
    )
