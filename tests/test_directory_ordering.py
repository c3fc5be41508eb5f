"""The directory's order is kept per process and read again when something changes it (#17):
after every kind of change it equals the order counted afresh, and a page reads no mentor
beyond its own 20 whatever the number of mentors."""

from __future__ import annotations

from django.db import connection
from django.db.models import Case, IntegerField, Value, When
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equimentor.directory import ordering
from equimentor.directory.access import directory_ids, listed_base
from equimentor.directory.forms import MentorFilterForm
from equimentor.directory.models import MentorListing
from equimentor.enrolment.models import Participant
from equimentor.matching.models import Proposal
from equimentor.pairing.load import with_load
from equimentor.training import induction
from equimentor.training.induction import ItemData
from tests import directory_support as support


def _fresh(scheme) -> list[int]:
    """The order counted from the tables, with nothing kept."""
    return list(
        with_load(listed_base(scheme))
        .order_by(
            Case(When(free__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "user__full_name",
            "pk",
        )
        .values_list("pk", flat=True)
    )


def _shown(scheme, **filters) -> list[int]:
    return directory_ids(scheme, MentorFilterForm(scheme, filters or None))


def _same(scheme):
    assert _shown(scheme) == _fresh(scheme)


def test_the_kept_order_follows_every_change(scheme_a, alice):
    support.bulk_mentors(scheme_a, 6)
    mentors = list(Participant.objects.filter(scheme=scheme_a, is_mentor=True).order_by("pk"))
    mentee = support.mentee(scheme_a, alice)
    _same(scheme_a)  # kept from here on
    first = _shown(scheme_a)[0]
    # a proposal waiting fills the first mentor's places (capacity 2: two proposals)
    for _ in range(2):
        Proposal.objects.create(
            scheme=scheme_a,
            mentee=mentee,
            mentor_id=first,
            via="fallback",
            proposed_at=timezone.now(),
        )
    _same(scheme_a)
    assert _shown(scheme_a)[-1] == first
    # ... and declined, frees them again
    Proposal.objects.filter(mentor_id=first).update(status=Proposal.Status.DECLINED)
    ordering.changed(scheme_a.pk)  # (a bulk update, as services that use one do)
    _same(scheme_a)
    # a mentor's capacity, a renamed mentor, an unpublished listing
    m = mentors[3]
    m.mentor_capacity = 0
    m.save()
    _same(scheme_a)
    assert _shown(scheme_a)[-1] == m.pk
    mentors[4].user.full_name = "Aaron Aardvark"
    mentors[4].user.save()
    _same(scheme_a)
    assert _shown(scheme_a)[0] == mentors[4].pk
    listing = MentorListing.objects.get(participant=mentors[5])
    listing.is_published = False
    listing.save()
    _same(scheme_a)
    assert mentors[5].pk not in _shown(scheme_a)
    # the induction gate: once mentors must complete a pack, those who have not are unlisted
    draft = induction.start_draft(scheme_a, actor=alice)
    guide = induction.save_item(draft, ItemData("document", "Guide", body="Read"), actor=alice)
    induction.publish(draft, actor=alice)
    induction.save_settings(
        scheme_a, mentors_must_complete=True, mentees_must_complete=False, actor=alice
    )
    _same(scheme_a)
    assert _shown(scheme_a) == []
    induction.complete_item(mentors[0], guide, actor=None)
    _same(scheme_a)
    assert _shown(scheme_a) == [mentors[0].pk]


def test_a_change_no_signal_reported_shows_within_max_age(scheme_a, alice, monkeypatch):
    support.bulk_mentors(scheme_a, 3)
    before = _shown(scheme_a)
    # a raw update: no signal, no version moved
    Participant.objects.filter(pk=before[0]).update(mentor_capacity=0)
    assert _shown(scheme_a) == before  # kept
    now = ordering.time.time()
    monkeypatch.setattr(ordering.time, "time", lambda: now + ordering.MAX_AGE + 1)
    assert _shown(scheme_a) == _fresh(scheme_a) != before


def test_filters_keep_the_order_and_read_only_ids(scheme_a, alice):
    support.bulk_mentors(scheme_a, 12)
    Participant.objects.filter(scheme=scheme_a, is_mentor=True).update(mentor_capacity=0)
    ordering.changed(scheme_a.pk)
    ids = _fresh(scheme_a)
    clinical = set(
        Participant.objects.filter(scheme=scheme_a, pathway="clinical").values_list("pk", flat=True)
    )
    assert _shown(scheme_a, pathway="clinical") == [pk for pk in ids if pk in clinical]
    assert _shown(scheme_a, has_capacity="on") == []


def test_a_page_reads_the_same_queries_with_many_more_mentors(client, scheme_a, alice):
    viewer = support.mentee(scheme_a, alice)
    support.bulk_mentors(scheme_a, 30)
    client.force_login(viewer.user)
    url = f"/schemes/{scheme_a.slug}/mentors/"
    client.get(url)  # the order is read and kept
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    support.bulk_mentors(scheme_a, 300)
    client.get(url)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert "330 mentors" in page.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    # no query reads more than the page's rows: none without a limit or a list of ids
    for q in many.captured_queries:
        sql = q["sql"]
        if 'FROM "enrolment_participant"' in sql and "directory_mentorlisting" in sql:
            assert " IN (" in sql or "LIMIT" in sql, sql[:300]


def test_another_process_takes_the_order_from_the_shared_cache(scheme_a, alice):
    """A process with nothing kept (a recycled web worker) reads the order from the cache, not
    from every mentor; a changed version is read afresh."""
    support.bulk_mentors(scheme_a, 5)
    first = _shown(scheme_a)
    ordering.forget()  # another process
    with CaptureQueriesContext(connection) as ctx:
        assert _shown(scheme_a) == first
    assert not any("matching_proposal" in q["sql"] for q in ctx.captured_queries)
    ordering.forget()
    ordering.changed(scheme_a.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert _shown(scheme_a) == _fresh(scheme_a)
    assert any("matching_proposal" in q["sql"] for q in ctx.captured_queries)
