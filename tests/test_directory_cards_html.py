"""The directory's list of cards is put together in Python (``views.cards_html``, #17: the
template's loop over 20 cards cost more than the rest of the page's rendering). It must write
exactly what the template's loop wrote, kept here as it was, for every mark a viewer can see,
every count of free places and identity answers that need escaping."""

from __future__ import annotations

import itertools

from django.template import engines
from django.utils.safestring import mark_safe

from equimentor.directory.views import ListedCard, cards_html
from equimentor.identity.models import IdentityAnswer

# directory/mentors.html's loop before the change (1be7bc3 .. 9f20b99), unchanged
TEMPLATE_LOOP = """  {% for card in cards %}
  <li class="card">
    {{ card.head }}
    {% for answer in card.identity %}<p><strong>{{ answer.get_dimension_display }}:</strong> {{ answer.display }}</p>{% endfor %}
    <p><strong>{% if card.free %}{{ card.free }} place{{ card.free|pluralize }} free{% else %}Full{% endif %}</strong></p>
    {% if card.is_self %}<p><strong>This is you.</strong></p>
    {% elif card.chosen_rank %}<p><strong>{{ card.chosen_label }}</strong></p>
    {% elif card.conflicted %}<p>You said you must not be matched with this mentor.</p>
    {% elif card.same_institution %}<p>At your institution: this scheme pairs people from different institutions.</p>{% endif %}
  </li>
  {% endfor %}
"""  # noqa: E501

MARKS = [
    {},
    {"is_self": True},
    {"chosen_rank": 1},
    {"chosen_rank": 2},
    {"chosen_rank": 3},
    {"chosen_rank": 11},
    {"chosen_rank": 22},
    {"conflicted": True},
    {"same_institution": True},
    {"chosen_rank": 4, "same_institution": True},  # at most one mark shows, in this order
    {"conflicted": True, "same_institution": True},
    {"is_self": True, "chosen_rank": 1},
]

ANSWERS = [
    [],
    [IdentityAnswer(dimension="ethnicity", value="black", self_description="Nigerian British")],
    [
        IdentityAnswer(dimension="ethnicity", value="", self_description='<b>"Me" & co</b>'),
        IdentityAnswer(dimension="ethnicity", value="black"),
    ],
]


def _cards() -> list[ListedCard]:
    cards = []
    for n, (marks, answers, free) in enumerate(itertools.product(MARKS, ANSWERS, [0, 1, 2, 7])):
        head = mark_safe(f'<h3><a href="/m/{n}/">Dr &amp; Mentor {n}</a></h3>')  # kept, safe
        cards.append(
            ListedCard(pk=n, head=head, free=free, institution_id=None, identity=answers, **marks)
        )
    return cards


def test_the_cards_are_written_as_the_template_wrote_them():
    cards = _cards()
    old = engines["django"].from_string(TEMPLATE_LOOP).render({"cards": cards})
    assert old == "  " + cards_html(cards) + "\n"
    for card in cards:  # one at a time too (a page of one card, of none)
        assert engines["django"].from_string(TEMPLATE_LOOP).render({"cards": [card]}) == (
            "  " + cards_html([card]) + "\n"
        )
    assert cards_html([]) == ""


def test_what_a_mentor_wrote_is_escaped():
    html = cards_html([card for card in _cards() if card.identity == ANSWERS[2]])
    assert "<b>" not in html and "&lt;b&gt;&quot;Me&quot; &amp; co&lt;/b&gt;" in html
