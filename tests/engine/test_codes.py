"""One-pass numbering of values (engine/codes.py)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from equimentor.engine.codes import Numbering, TextCodes, number
from equimentor.engine.validate import normalised


@given(st.lists(st.sampled_from(["a", "b", "c", "", "long text", "B"]) | st.text(max_size=3)))
def test_number_follows_first_appearance(values):
    codes, distinct = number(values)
    assert distinct == list(dict.fromkeys(values))
    assert codes.dtype == np.int64 and len(codes) == len(values)
    assert [distinct[c] for c in codes.tolist()] == values


def test_number_of_nothing():
    codes, distinct = number([])
    assert len(codes) == 0 and distinct == []


@given(st.lists(st.integers(0, 5)))
def test_numbering_hands_out_the_next_number(values):
    numbering = Numbering()
    codes = [numbering[v] for v in values]
    distinct = list(dict.fromkeys(values))
    assert list(numbering) == distinct
    assert codes == [distinct.index(v) for v in values]


def test_text_codes_share_normalised_texts_and_leave_unknowns_out():
    texts: dict[str, int] = {}
    first, second = TextCodes(normalised, texts), TextCodes(normalised, texts)
    assert first["Woman"] == second[" woman "] == 0
    assert first[None] == first["prefer_not_to_say"] == second["Prefer not to say"] == -1
    assert second["Man"] == 1
    assert texts == {"woman": 0, "man": 1}


def test_the_stop_words_are_scikit_learns():
    """The TF-IDF model's stop words, kept in the engine so that it never imports scikit-learn."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from equimentor.engine.stopwords import ENGLISH_STOP_WORDS as ours

    assert ours == ENGLISH_STOP_WORDS
