"""A scheme's data version: a number that moves whenever anything in the scheme changes, in the
transaction that changes it, so that what is computed from the scheme's rows (the reports) can be
kept and known to be current by reading one number.

``changed(scheme)`` inserts one ``DataChange`` row. ``audit.record`` and ``audit.record_many``
call it for every event they record with a scheme, so every service that changes a scheme moves
its version in its own transaction by the convention it already follows (one audit event per
change); the few changes recorded without a scheme call it themselves (erasing a person, for
each scheme she took part in). A reader that sees the change's rows sees its ``DataChange``
too, as both commit together.

The version is the number of the scheme's changes: ``DataVersion.folded`` plus its
``DataChange`` rows, read in one statement (one snapshot). Rows are only inserted, so writers
never wait on each other (a counter row updated by every change would serialise a scheme's
writers and could deadlock with the row locks services take); a count only grows, so a change
committed out of order still moves it. ``fold`` (the periodic job ``core.data_versions``) moves
the rows into ``folded`` in one transaction, which leaves the sum as it was.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Subquery, Value
from django.db.models.functions import Coalesce

from equimentor.core.models import DataChange, DataVersion


def _id(scheme) -> int | None:
    return getattr(scheme, "pk", scheme)


def changed(scheme) -> None:
    """Something in ``scheme`` (a Scheme or its id) changed in the current transaction."""
    scheme_id = _id(scheme)
    if scheme_id is not None:
        DataChange.objects.create(scheme_id=scheme_id)


def current(scheme) -> int:
    """The data version of ``scheme`` (a Scheme or its id), in one query."""
    qn = connection.ops.quote_name
    changes, versions = DataChange._meta.db_table, DataVersion._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT COALESCE((SELECT {qn('folded')} FROM {qn(versions)} "
            f"WHERE {qn('scheme_id')} = %s), 0) + "
            f"(SELECT COUNT(*) FROM {qn(changes)} WHERE {qn('scheme_id')} = %s)",
            [_id(scheme), _id(scheme)],
        )
        return int(cur.fetchone()[0])


def expression(scheme):
    """The data version of ``scheme`` as an expression (what ``current`` reads), for a query
    that reads it with other rows in the same statement."""
    scheme_id = _id(scheme)
    folded = DataVersion.objects.filter(scheme_id=scheme_id).values("folded")[:1]
    changes = (
        DataChange.objects.filter(scheme_id=scheme_id)
        .order_by()
        .values("scheme_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(folded), Value(0)) + Coalesce(Subquery(changes), Value(0))


def fold() -> dict[str, int]:
    """Fold each scheme's change rows into its ``DataVersion`` (the version stays the same)."""
    folded = 0
    for scheme_id in set(DataChange.objects.values_list("scheme_id", flat=True).distinct()):
        with transaction.atomic():
            row, _ = DataVersion.objects.select_for_update().get_or_create(scheme_id=scheme_id)
            # Only rows committed before this statement are deleted; one committed later stays
            # and is counted with the rest.
            n, _ = DataChange.objects.filter(scheme_id=scheme_id).delete()
            row.folded += n
            row.save(update_fields=["folded"])
            folded += n
    return {"folded": folded}
