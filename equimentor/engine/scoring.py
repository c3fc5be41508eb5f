"""The compatibility score of a mentee-mentor pair.

score = sum(w_c * v_c for applicable c) / sum(w_c for applicable c), in [0, 1],
over the components (each in [0, 1]):

``seniority``
    Fit of the career-stage gap ``g = mentor - mentee`` to the ideal gap ``G``:
    0 if ``g < 0`` (mentor less senior), else ``max(0, 1 - |g - G| / (G + 1))``.
    Applicable when both career stages are known.
``interests``
    Cosine similarity of the TF-IDF vectors of the research-interest texts
    (English stop words removed, words and two-word phrases, sublinear tf).
    Applicable when both texts have at least one term.
``shared``
    Share of the attribute keys in the mentee's ``wants_shared`` on which mentor
    and mentee have the same known value. Applicable when the mentee asked for
    at least one key whose own value is known.
``pathway``
    Share of the attributes ``pathway`` and ``specialty`` that are equal,
    among those known for both. Applicable when at least one is known for both.

A component that is not applicable is left out and the score is normalised by
the weights of the components that are; with none applicable the score is 0.
Values are compared after trimming and case-folding; empty values and
``prefer_not_to_say`` count as unknown.
"""

from __future__ import annotations

import re
from itertools import chain, repeat
from operator import attrgetter

import numpy as np
import scipy.sparse as sp

from .codes import Numbering, TextCodes, number
from .model import COMPONENTS, DEFAULT_WEIGHTS
from .stopwords import ENGLISH_STOP_WORDS
from .validate import Prepared, normalised

PATHWAY_KEYS = ("pathway", "specialty")
_PAIR_CHUNK = 65_536  # pairs at a time: the temporaries stay in the cache
# scikit-learn's default token pattern r"(?u)\b\w\w+\b" finds the same tokens as this
# (a greedy run of word characters always starts and ends at a word boundary)
_TOKEN = re.compile(r"\w\w+")
_SENTINEL = "zqxjdocumentbreakzqxj"


_ASCII_NON_WORD = bytes(c for c in range(128) if not (chr(c).isalnum() or chr(c) == "_"))
_TO_SPACE = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))


def _words(text: str) -> list:
    """The runs of word characters in ``text``, in order.

    ASCII text (the usual case) is split as bytes, which is about three times
    as fast as the regular expression; it also returns one-letter words, which
    the caller drops (as scikit-learn's token pattern ``\\w\\w+`` never finds them).
    Other text goes through ``\\w\\w+``.
    """
    if text.isascii():
        return text.encode("ascii").translate(_TO_SPACE).split()
    return _TOKEN.findall(text)


def tfidf(texts: list[str | None]) -> tuple[sp.csr_matrix, np.ndarray] | None:
    """TF-IDF rows of ``texts`` and the sorted feature names, or None if no term.

    A text may be None, which counts as an empty text.

    The same model as scikit-learn's ``TfidfVectorizer(stop_words="english",
    ngram_range=(1, 2), sublinear_tf=True)`` (lower-cased words of two or more
    characters, English stop words removed, then words and two-word phrases of
    the remaining words; ``1 + ln(tf)``; smoothed idf ``ln((1 + N) / (1 + df))
    + 1``; rows scaled to unit length; features sorted alphabetically), built
    with numpy: each distinct text is tokenised once, and n-grams are counted
    on integer arrays.
    """
    inv, distinct = number(texts)
    n_docs = len(distinct)
    lowered = [t.lower() if t else "" for t in distinct]
    joined = " ".join(lowered)
    if _SENTINEL in joined:  # (cannot happen with ordinary text) tokenise one by one
        toks = [_TOKEN.findall(t) for t in lowered]
        lens = np.fromiter(map(len, toks), dtype=np.int64, count=n_docs)
        flat = list(chain.from_iterable(toks))
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lens)
    else:  # one pass over all texts, separated by a sentinel word
        flat = _words(f" {_SENTINEL} ".join(lowered))
    word_id = Numbering()  # (few distinct words: one Python call each)
    ids = np.fromiter(map(word_id.__getitem__, flat), dtype=np.int64, count=len(flat))
    raw_words = list(word_id)
    as_bytes = bool(flat) and type(flat[0]) is bytes
    words = [w.decode("ascii") for w in raw_words] if as_bytes else raw_words
    if _SENTINEL not in joined:
        is_sep = ids == word_id.get(_SENTINEL.encode() if as_bytes else _SENTINEL, -1)
        doc = np.cumsum(is_sep)
        ids, doc = ids[~is_sep], doc[~is_sep]
    # (one-letter words only come from _words' fast path: \w\w+ never finds them)
    stop = np.fromiter(
        (w in ENGLISH_STOP_WORDS or w == _SENTINEL or len(w) < 2 for w in words),
        dtype=bool,
        count=len(words),
    )
    keep = ~stop[ids] if len(ids) else np.zeros(0, dtype=bool)
    ids, doc = ids[keep], doc[keep]
    if len(ids) == 0:
        return None
    nw = len(words)
    # features: the kept words, then the two-word phrases of consecutive kept words
    pair = np.flatnonzero(doc[1:] == doc[:-1])
    bi_code = ids[pair] * nw + ids[pair + 1]
    uni_used = np.unique(ids)
    bi_used = np.unique(bi_code)
    names = [words[k] for k in uni_used.tolist()] + [
        words[a] + " " + words[b]
        for a, b in zip((bi_used // nw).tolist(), (bi_used % nw).tolist(), strict=True)
    ]
    order = sorted(range(len(names)), key=names.__getitem__)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names), dtype=np.int64)
    col_uni = np.full(nw, -1, dtype=np.int64)
    col_uni[uni_used] = rank[: len(uni_used)]
    cols = np.concatenate([col_uni[ids], rank[len(uni_used) :][np.searchsorted(bi_used, bi_code)]])
    rows = np.concatenate([doc, doc[pair]])
    n_feat = len(names)
    counts = sp.csr_matrix(
        (np.ones(len(cols)), (rows, cols)), shape=(n_docs, n_feat), dtype=np.float64
    )
    counts.sum_duplicates()
    counts.sort_indices()
    # document frequencies over all texts (a repeated text counts each time)
    mult = np.bincount(inv, minlength=n_docs).astype(np.float64)
    row_of = np.repeat(np.arange(n_docs), np.diff(counts.indptr))
    df = np.bincount(counts.indices, weights=mult[row_of], minlength=n_feat)
    idf = np.log((len(texts) + 1) / (df + 1)) + 1.0
    data = (np.log(counts.data) + 1.0) * idf[counts.indices]
    sq = np.bincount(row_of, weights=data * data, minlength=n_docs)
    norm = np.sqrt(sq)
    data /= np.where(norm > 0, norm, 1.0)[row_of]
    counts.data = data
    x = counts[inv]
    return x.tocsr(), np.array([names[k] for k in order], dtype=object)


def _code_column(attrs: list[dict], key: str, texts: dict[str, int]) -> np.ndarray:
    """Codes of ``attrs[k].get(key)`` for every k (-1 = unknown)."""
    n = len(attrs)
    coder = TextCodes(normalised, texts)
    try:
        col = np.fromiter(
            map(coder.__getitem__, map(dict.get, attrs, repeat(key, n))), dtype=np.int64, count=n
        )
    except TypeError:  # an unhashable value
        col = None
    # texts (the usual case) map to one code each; other values (1, 1.0 and True are
    # equal keys but different texts) are coded one by one
    if col is not None and set(map(type, coder)) <= {str, type(None)}:
        return col
    typed = TextCodes(lambda type_and_value: normalised(type_and_value[1]), texts)

    def code_of(value) -> int:
        try:
            return typed[type(value), value]
        except TypeError:  # unhashable: coded without being kept
            return typed.code((type(value), value))

    return np.array([code_of(a.get(key)) for a in attrs], dtype=np.int64)


def _codes(
    attrs: list, keys: list[str], texts: dict[str, int], only: dict[int, np.ndarray] | None = None
) -> np.ndarray:
    """Codes of each person's attribute values, one column per key (-1 = unknown).

    ``only[c]``, where given, lists the rows whose value in column ``c`` is
    wanted; the other rows of that column stay -1.
    """
    codes = np.full((len(attrs), len(keys)), -1, dtype=np.int64, order="F")  # by column
    if not set(map(type, attrs)) <= {dict}:
        attrs = [a or {} for a in attrs]
    for c, k in enumerate(keys):
        rows = None if only is None else only.get(c)
        if rows is None:
            codes[:, c] = _code_column(attrs, k, texts)
        elif len(rows):
            codes[rows, c] = _code_column([attrs[i] for i in rows.tolist()], k, texts)
    return codes


def _column(people: list, columns: dict[str, list] | None, name: str) -> list:
    """Field ``name`` of every person, from ``columns`` if ``prepare`` read it already."""
    if columns is not None and name in columns:
        return columns[name]
    return list(map(attrgetter(name), people))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else 0 (no component applies)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


class Scorer:
    """Scores pairs of (mentee index, mentor index) of a prepared instance."""

    def __init__(self, prep: Prepared) -> None:
        inst = prep.instance
        s = inst.settings
        self.prep = prep
        self.weights = np.array(
            [float(s.weights.get(c, DEFAULT_WEIGHTS[c])) for c in COMPONENTS], dtype=np.float64
        )
        self.ideal = float(s.ideal_seniority_gap)
        mentees, mentors = inst.mentees, inst.mentors
        cols_e, cols_r = prep.columns_e, prep.columns_r
        n = len(mentees)
        # (None becomes nan)
        self.stage_e = np.array(_column(mentees, cols_e, "career_stage"), dtype=float)
        self.stage_r = np.array(_column(mentors, cols_r, "career_stage"), dtype=float)

        # Research interests: one TF-IDF model over everyone's text.
        texts = _column(mentees, cols_e, "interests") + _column(mentors, cols_r, "interests")
        model = tfidf(texts)  # (a text may be None)
        self.has_model = model is not None
        self._features = model[1] if model is not None else np.array([], dtype=object)
        if model is not None:
            self.x_e = model[0][:n]
            self.x_r = model[0][n:]
        else:
            self.x_e = sp.csr_matrix((n, 1))
            self.x_r = sp.csr_matrix((len(mentors), 1))
        self.has_text_e = np.diff(self.x_e.indptr) > 0
        self.has_text_r = np.diff(self.x_r.indptr) > 0

        # Attributes as integer codes per key (-1 = unknown).
        wants = _column(mentees, cols_e, "wants_shared")
        flat_wants = list(chain.from_iterable(wants))
        keys = sorted(set(flat_wants) | set(PATHWAY_KEYS))
        self.keys = keys
        self.key_pos = {k: c for c, k in enumerate(keys)}
        self.path_cols = [self.key_pos[k] for k in PATHWAY_KEYS]
        want = np.zeros((n, len(keys)), dtype=bool)
        w_rows = np.repeat(np.arange(n, dtype=np.int64), list(map(len, wants)))
        w_cols = np.fromiter(
            map(self.key_pos.__getitem__, flat_wants), dtype=np.int64, count=len(flat_wants)
        )
        want[w_rows, w_cols] = True
        # A mentee's value of a key other than pathway and specialty is only ever
        # compared where she asked to share it: elsewhere it is left unknown (-1).
        asked = {c: np.flatnonzero(want[:, c]) for c in range(len(keys))}
        for c in self.path_cols:
            del asked[c]
        values: dict[str, int] = {}
        self.code_e = _codes(_column(mentees, cols_e, "attributes"), keys, values, asked)
        self.code_r = _codes(_column(mentors, cols_r, "attributes"), keys, values)
        want &= self.code_e >= 0
        self.want = want
        self.want_count = want.sum(axis=1)
        # The lists prepare handed on are used up: let them go now, so that the
        # garbage collector, once back on, does not walk 100,000s of references.
        prep.columns_e = prep.columns_r = None

    @property
    def features(self) -> np.ndarray:
        """TF-IDF feature names (words and two-word phrases), sorted."""
        return self._features

    # ------------------------------------------------------------------ components

    def _seniority(self, se: np.ndarray, sr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        gap = sr - se
        ideal = self.ideal
        fit = np.clip(1.0 - np.abs(gap - ideal) / (ideal + 1.0), 0.0, 1.0)
        fit = np.where(gap < 0, 0.0, fit)
        app = ~np.isnan(gap)
        return np.where(app, fit, 0.0), app

    def _interests_pairs(self, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
        out = np.zeros(len(mi), dtype=np.float64)
        if not self.has_model:
            return out
        for start in range(0, len(mi), _PAIR_CHUNK):
            a = self.x_e[mi[start : start + _PAIR_CHUNK]]
            b = self.x_r[mj[start : start + _PAIR_CHUNK]]
            out[start : start + len(a.indptr) - 1] = np.asarray(a.multiply(b).sum(axis=1)).ravel()
        return np.clip(out, 0.0, 1.0)

    def components_pairs(self, mi: np.ndarray, mj: np.ndarray) -> dict[str, tuple]:
        """Per-component (value, applicable) arrays for pairs (mi[k], mj[k])."""
        mi = np.asarray(mi, dtype=np.int64)
        mj = np.asarray(mj, dtype=np.int64)
        out = {"seniority": self._seniority(self.stage_e[mi], self.stage_r[mj])}
        out["interests"] = (
            self._interests_pairs(mi, mj),
            self.has_text_e[mi] & self.has_text_r[mj],
        )
        if self.want.shape[1]:
            cnt = self.want_count[mi]
            hits = np.zeros(len(mi), dtype=np.int64)
            for c in np.flatnonzero(self.want.any(axis=0)).tolist():
                hits += self.want[mi, c] & (self.code_e[mi, c] == self.code_r[mj, c])
            out["shared"] = (hits / np.maximum(cnt, 1), cnt > 0)
            known = np.zeros(len(mi), dtype=np.int64)
            same = np.zeros(len(mi), dtype=np.int64)
            for c in self.path_cols:
                pe, pr = self.code_e[mi, c], self.code_r[mj, c]
                both = (pe >= 0) & (pr >= 0)
                known += both
                same += both & (pe == pr)
            out["pathway"] = (same / np.maximum(known, 1), known > 0)
        return out

    def _sums(self, comps: dict[str, tuple], *, shared: bool) -> tuple:
        """The weighted sums of the applicable components and of their weights."""
        num = 0.0
        den = 0.0
        for c, w in zip(COMPONENTS, self.weights, strict=True):
            if w == 0 or c not in comps or (c == "shared" and not shared):
                continue
            val, app = comps[c]
            num = num + w * np.where(app, val, 0.0)
            den = den + w * app
        return np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)

    def combine(self, comps: dict[str, tuple], *, shared: bool = True) -> np.ndarray:
        """Weighted, normalised score from component arrays.

        With ``shared=False`` the ``shared`` component is left out (the *base*
        score: what a pair scores whatever the mentee asked to share).
        """
        return _ratio(*self._sums(comps, shared=shared))

    def pairs(self, mi: np.ndarray, mj: np.ndarray, *, shared: bool = True) -> np.ndarray:
        """Scores of the pairs (mi[k], mj[k]) (``shared=False``: the base score)."""
        return self.combine(self.components_pairs(mi, mj), shared=shared)

    def mentor_view(self, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
        """The score by which a mentor without a ranking orders mentees: under the
        ``"fair"`` policy the base score (a mentee's request to share
        characteristics does not move her in a mentor's order), else the score."""
        return self.pairs(mi, mj, shared=self.prep.instance.settings.policy != "fair")

    def block(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        interests: np.ndarray | None = None,
        *,
        shared: bool = True,
        both: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Dense score matrix for mentees ``rows`` x mentors ``cols``.

        ``interests`` may supply the interest cosine block (e.g. an
        approximation); by default it is computed exactly. ``shared=False``
        gives the base score (without the ``shared`` component). ``both=True``
        gives ``(base, score)`` from one computation of the components, the
        score only for the rows of mentees who asked to share characteristics
        (``want_count > 0``, in order): for the others it is the base score.
        """
        comps = {
            "seniority": self._seniority(self.stage_e[rows][:, None], self.stage_r[cols][None, :])
        }
        if interests is None:
            if not self.has_model:
                interests = np.zeros((len(rows), len(cols)))
            else:
                interests = (self.x_e[rows] @ self.x_r[cols].T).toarray()
            interests = np.clip(interests, 0.0, 1.0)
        comps["interests"] = (
            interests,
            self.has_text_e[rows][:, None] & self.has_text_r[cols][None, :],
        )
        asked = None
        if self.want.shape[1]:
            ce, cr = self.code_e[rows], self.code_r[cols]
            if shared or both:
                asked = np.flatnonzero(self.want_count[rows] > 0) if both else slice(None)
                want, ca = self.want[rows][asked], ce[asked]
                hits = np.zeros((want.shape[0], len(cols)), dtype=np.float64)
                for c in range(want.shape[1]):
                    w = want[:, c]
                    if not w.any():
                        continue
                    hits += w[:, None] & (ca[:, c][:, None] == cr[:, c][None, :])
                cnt = self.want_count[rows][asked]
                comps["shared"] = (hits / np.maximum(cnt, 1)[:, None], (cnt > 0)[:, None])
            known = np.zeros((len(rows), len(cols)), dtype=np.float64)
            same = np.zeros((len(rows), len(cols)), dtype=np.float64)
            for c in self.path_cols:
                a, b = ce[:, c][:, None], cr[:, c][None, :]
                known_both = (a >= 0) & (b >= 0)
                known += known_both
                same += known_both & (a == b)
            comps["pathway"] = (same / np.maximum(known, 1), known > 0)
        if not both:
            return self.combine(comps, shared=shared)
        num, den = self._sums(comps, shared=False)
        base = _ratio(num, den)
        if asked is None:
            return base, np.zeros((0, len(cols)))
        w = self.weights[COMPONENTS.index("shared")]
        val, app = comps["shared"]
        return base, _ratio(num[asked] + w * np.where(app, val, 0.0), den[asked] + w * app)
