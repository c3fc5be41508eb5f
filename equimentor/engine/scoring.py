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

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from .model import COMPONENTS, DEFAULT_WEIGHTS
from .validate import Prepared, _norm

PATHWAY_KEYS = ("pathway", "specialty")
_PAIR_CHUNK = 200_000


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
        self.stage_e = np.array(
            [np.nan if p.career_stage is None else p.career_stage for p in mentees], dtype=float
        )
        self.stage_r = np.array(
            [np.nan if p.career_stage is None else p.career_stage for p in mentors], dtype=float
        )

        # Research interests: one TF-IDF model over everyone's text.
        texts = [p.interests or "" for p in mentees] + [p.interests or "" for p in mentors]
        self.vectorizer: TfidfVectorizer | None = None
        n = len(mentees)
        if any(t.strip() for t in texts):
            vec = TfidfVectorizer(
                stop_words="english", ngram_range=(1, 2), sublinear_tf=True, dtype=np.float64
            )
            try:
                x = vec.fit_transform(texts).tocsr()
            except ValueError:  # only stop words
                x = None
            if x is not None:
                self.vectorizer = vec
                self.x_e = x[:n]
                self.x_r = x[n:]
        if self.vectorizer is None:
            self.x_e = sp.csr_matrix((n, 1))
            self.x_r = sp.csr_matrix((len(mentors), 1))
        self.has_text_e = np.diff(self.x_e.indptr) > 0
        self.has_text_r = np.diff(self.x_r.indptr) > 0
        self._features: np.ndarray | None = None

        # Attributes as integer codes per key (-1 = unknown).
        keys = sorted({k for p in mentees for k in p.wants_shared} | set(PATHWAY_KEYS))
        self.keys = keys
        self.key_pos = {k: c for c, k in enumerate(keys)}
        values: dict[str, int] = {}
        self.code_e = self._codes(mentees, keys, values)
        self.code_r = self._codes(mentors, keys, values)
        want = np.zeros((n, len(keys)), dtype=bool)
        for i, p in enumerate(mentees):
            for k in p.wants_shared:
                want[i, self.key_pos[k]] = True
        want &= self.code_e >= 0
        self.want = want
        self.want_count = want.sum(axis=1)
        self.path_cols = [self.key_pos[k] for k in PATHWAY_KEYS]

    @staticmethod
    def _codes(people, keys, values) -> np.ndarray:
        codes = np.full((len(people), len(keys)), -1, dtype=np.int64)
        attrs = [p.attributes or {} for p in people]
        cache: dict = {}

        def code_of(value) -> int:
            try:
                return cache[type(value), value]
            except KeyError:
                pass
            except TypeError:  # unhashable: not cached
                text = _norm(value)
                return values.setdefault(text, len(values)) if text else -1
            text = _norm(value)
            code = values.setdefault(text, len(values)) if text else -1
            cache[type(value), value] = code
            return code

        for c, k in enumerate(keys):
            codes[:, c] = [code_of(a.get(k)) for a in attrs]
        return codes

    @property
    def features(self) -> np.ndarray:
        """TF-IDF feature names (words and two-word phrases)."""
        if self._features is None:
            self._features = (
                self.vectorizer.get_feature_names_out()
                if self.vectorizer is not None
                else np.array([], dtype=object)
            )
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
        if self.vectorizer is None:
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
            ce, cr = self.code_e[mi], self.code_r[mj]
            hits = (self.want[mi] & (ce == cr)).sum(axis=1)
            cnt = self.want_count[mi]
            out["shared"] = (hits / np.maximum(cnt, 1), cnt > 0)
            pe, pr = ce[:, self.path_cols], cr[:, self.path_cols]
            both = (pe >= 0) & (pr >= 0)
            known = both.sum(axis=1)
            same = (both & (pe == pr)).sum(axis=1)
            out["pathway"] = (same / np.maximum(known, 1), known > 0)
        return out

    def combine(self, comps: dict[str, tuple]) -> np.ndarray:
        """Weighted, normalised score from component arrays."""
        num = 0.0
        den = 0.0
        for c, w in zip(COMPONENTS, self.weights, strict=True):
            if w == 0 or c not in comps:
                continue
            val, app = comps[c]
            num = num + w * np.where(app, val, 0.0)
            den = den + w * app
        den = np.asarray(den, dtype=np.float64)
        num = np.asarray(num, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        return score

    def pairs(self, mi: np.ndarray, mj: np.ndarray) -> np.ndarray:
        """Scores of the pairs (mi[k], mj[k])."""
        return self.combine(self.components_pairs(mi, mj))

    def block(
        self,
        rows: np.ndarray,
        cols: np.ndarray,
        interests: np.ndarray | None = None,
    ) -> np.ndarray:
        """Dense score matrix for mentees ``rows`` x mentors ``cols``.

        ``interests`` may supply the interest cosine block (e.g. an
        approximation); by default it is computed exactly.
        """
        comps = {
            "seniority": self._seniority(self.stage_e[rows][:, None], self.stage_r[cols][None, :])
        }
        if interests is None:
            if self.vectorizer is None:
                interests = np.zeros((len(rows), len(cols)))
            else:
                interests = (self.x_e[rows] @ self.x_r[cols].T).toarray()
            interests = np.clip(interests, 0.0, 1.0)
        comps["interests"] = (
            interests,
            self.has_text_e[rows][:, None] & self.has_text_r[cols][None, :],
        )
        if self.want.shape[1]:
            ce, cr = self.code_e[rows], self.code_r[cols]
            want = self.want[rows]
            hits = np.zeros((len(rows), len(cols)), dtype=np.float64)
            for c in range(want.shape[1]):
                w = want[:, c]
                if not w.any():
                    continue
                hits += w[:, None] & (ce[:, c][:, None] == cr[:, c][None, :])
            cnt = self.want_count[rows]
            comps["shared"] = (hits / np.maximum(cnt, 1)[:, None], (cnt > 0)[:, None])
            known = np.zeros((len(rows), len(cols)), dtype=np.float64)
            same = np.zeros((len(rows), len(cols)), dtype=np.float64)
            for c in self.path_cols:
                a, b = ce[:, c][:, None], cr[:, c][None, :]
                both = (a >= 0) & (b >= 0)
                known += both
                same += both & (a == b)
            comps["pathway"] = (same / np.maximum(known, 1), known > 0)
        return self.combine(comps)
