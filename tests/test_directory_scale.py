"""The directory works with 5,000 mentors in a scheme (how fast is benchmarks/bench_web.py's and
benchmarks/load_directory.py's to measure, in docs/benchmarks.md, not a test's)."""

from __future__ import annotations

import re

from django.urls import reverse

from tests import directory_support as support


def test_it_renders_with_five_thousand_mentors(client, scheme_a, alice):
    support.bulk_mentors(scheme_a, 5000, with_identity=True)
    viewer = support.mentee(scheme_a, alice)
    client.force_login(viewer.user)
    url = reverse("directory:mentors", args=["scheme-a"])
    response = client.get(url)
    filtered = client.get(
        url,
        {"interests": "maternal genomics", "pathway": "clinical", "has_capacity": "on", "page": 7},
    )
    assert response.status_code == 200 and filtered.status_code == 200
    page = response.content.decode()
    assert "5000 mentors" in page and "Page 1 of 250" in page
    assert len(re.findall(r'<li class="card">', page)) == 20
    assert "Page 7 of" in filtered.content.decode()
