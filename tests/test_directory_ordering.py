"""The directory's order is kept per process and read again when something changes it, and only
then (#17): after every kind of change it equals the order counted afresh at the next request,
however long it was kept; a page reads no mentor beyond its own 20 whatever the number of
mentors; every table the order and the cards read moves the version when written."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.apps import apps
from django.db import connection
from django.db.models import Case, IntegerField, Value, When
from django.db.models.signals import post_delete, post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from equimentor.directory import ordering
from equimentor.directory.access import directory_ids, listed_base, listed_mentors
from equimentor.directory.forms import MentorFilterForm
from equimentor.directory.models import MentorListing
from equimentor.enrolment.models import Participant
from equimentor.matching.models import Proposal
from equimentor.pairing.load import with_load
from equimentor.schemes.models import Scheme
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
    directory = ordering.Directory(scheme)
    return directory_ids(directory, MentorFilterForm(directory, filters or None))


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


def _reads_order(scheme) -> tuple[list[int], bool]:
    """The order shown, and whether it was read from the mentors' rows (their load)."""
    with CaptureQueriesContext(connection) as ctx:
        shown = _shown(scheme)
    return shown, any("matching_proposal" in q["sql"] for q in ctx.captured_queries)


def test_the_order_depends_on_no_clock(scheme_a, alice):
    """Kept for as long as the version stands (a day later it is not read again), and a change
    a day later still shows at the very next request."""
    support.bulk_mentors(scheme_a, 4)
    first, read = _reads_order(scheme_a)
    assert read
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert _reads_order(scheme_a) == (first, False)
        m = Participant.objects.get(pk=first[0])
        m.mentor_capacity = 0
        m.save(update_fields=["mentor_capacity"])
        shown, read = _reads_order(scheme_a)
        assert read and shown == _fresh(scheme_a) == [*first[1:], first[0]]


def test_every_table_the_directory_reads_moves_its_version():
    """A write to any table the order or the cards read moves the version (a signal receiver of
    the directory's), so nothing kept can outlive a change: the order's and the cards' queries
    are read for their tables, and each table's model must be followed. A new table in those
    queries fails here until it is followed."""
    scheme = Scheme(pk=1)
    # the order reads the mentors with their load; a card (listed_mentors, mentors_in_order) the
    # mentors with what it shows of them
    sql = str(with_load(listed_base(scheme)).query) + str(listed_mentors(scheme).query)
    by_table = {m._meta.db_table: m for m in apps.get_models()}
    read = {by_table[t] for t in re.findall(r'(?:FROM|JOIN) "(\w+)"', sql) if t in by_table}
    assert len(read) >= 10  # mentors, users, listings, institutions, load, the induction gate

    def followed(signal, model) -> bool:
        return any(
            isinstance(key[0], str) and key[0].startswith("directory-") and key[1] == id(model)
            for key, *_ in signal.receivers
        )

    # no receiver needed: a deleted scheme takes its version row with it (a new row, a new
    # token); the items of a published induction pack never change (training.induction refuses;
    # publishing a pack moves the version through InductionPack)
    exempt = {(post_delete, "Scheme"), (post_save, "InductionItem"), (post_delete, "InductionItem")}
    missing = {
        (name, m.__name__)
        for signal, name in ((post_save, "post_save"), (post_delete, "post_delete"))
        for m in read
        if (signal, m.__name__) not in exempt and not followed(signal, m)
    }
    assert missing == set()


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
