"""Template helpers that render markup in Python escape what they are given."""

from __future__ import annotations

from django.template import Context, Template


def test_table_body_escapes_headings_and_figures():
    rows = [["<script>alert(1)</script>", "12", "<5"], [], ["All", 30, None]]
    html = Template("{% load equimentor %}{{ rows|table_body }}").render(Context({"rows": rows}))
    assert "<script>" not in html
    assert '<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>' in html
    assert '<td class="num">&lt;5</td>' in html
    assert html.count("<tr>") == 2
    assert '<td class="num">30</td><td class="num">None</td>' in html
