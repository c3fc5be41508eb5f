"""Reports' part of erasure (see ``core.erasure``): reports hold counts, never a person."""

from __future__ import annotations

from equimentor.core import erasure
from equimentor.reports.models import Benchmark

SHREDDER = erasure.Shredder(
    name="reports",
    order=85,
    covers=(
        erasure.Covers(
            Benchmark,
            kept={"label groups source": "published comparison figures: counts, no one's data"},
        ),
    ),
    erase=lambda person: 0,
)
