"""Plain-words reasons for assignments and for mentees left unmatched."""

from __future__ import annotations

import re

import numpy as np

from .scoring import PATHWAY_KEYS, Scorer
from .validate import RULE_TEXT, Prepared, show

INTEREST_REASON_MIN = 0.1
"""Interest similarity from which the shared phrases are given as a reason."""

_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number_word(n: int) -> str:
    """Small numbers in words, others in digits."""
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def join_words(items: list[str]) -> str:
    """['a'] -> 'a'; ['a', 'b', 'c'] -> 'a, b and c'."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def merge_phrases(terms: list[str], limit: int = 3, ok=None) -> list[str]:
    """Merge overlapping TF-IDF terms into at most ``limit`` phrases.

    ``["health services", "services research", "health"]`` becomes
    ``["health services research"]``. ``ok(words)`` may veto a phrase (e.g.
    one that does not appear word for word in both texts).
    """
    phrases: list[list[str]] = []
    if ok is None:

        def ok(words: list[str]) -> bool:
            return True

    def contains(big: list[str], small: list[str]) -> bool:
        k = len(small)
        return any(big[s : s + k] == small for s in range(len(big) - k + 1))

    for term in terms:
        words = term.split()
        if not ok(words) or any(contains(p, words) for p in phrases):
            continue
        merged = False
        for idx, p in enumerate(phrases):
            if contains(words, p):
                candidate = words
            elif len(words) == 2 and p[-1] == words[0]:
                candidate = p + words[1:]
            elif len(words) == 2 and p[0] == words[-1]:
                candidate = words[:1] + p
            else:
                continue
            if ok(candidate):
                phrases[idx] = candidate
                merged = True
                break
        if not merged and len(phrases) < limit:
            phrases.append(words)
    # a merge may have made one phrase contain another
    out: list[list[str]] = []
    for p in phrases:
        if not any(q is not p and contains(q, p) and len(q) > len(p) for q in phrases):
            if p not in out:
                out.append(p)
    return [" ".join(p) for p in out]


# words of two or more characters (as the TF-IDF model reads them), and the punctuation that
# ends a phrase ("cardiovascular epidemiology; stroke rehabilitation" holds no phrase across ";")
_WORD_OR_BREAK = re.compile(r"(?u)\b\w\w+\b|[;,.:!?()\[\]{}|/\\\n]")


class _Text:
    """A research-interest text's words (lower case), broken at punctuation, with each word's
    place in the original, so that a shared phrase is one the text says word for word (within
    one stretch between punctuation) and can be quoted as written."""

    __slots__ = ("lower", "words", "spans", "place", "joined")

    def __init__(self, text: str | None) -> None:
        self.lower = (text or "").lower()
        self.words: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.place: list[int] = []  # each word's place among words and breaks
        parts = [" "]
        for m in _WORD_OR_BREAK.finditer(self.lower):
            word = m.group()
            if len(word) == 1:  # punctuation (words have two characters or more)
                parts.append("| ")
                continue
            self.words.append(word)
            self.spans.append(m.span())
            self.place.append(len(parts))
            parts.append(word + " ")
        self.joined = "".join(parts)

    def has(self, words: list[str]) -> bool:
        return " " + " ".join(words) + " " in self.joined

    def quote(self, words: list[str]) -> str:
        """The phrase as the text writes it ("women's health", "health-services research"),
        or its words if it is not found within one stretch of the text."""
        k = len(words)
        for start in range(len(self.words) - k + 1):
            end = start + k - 1
            if (
                self.words[start : start + k] == words
                and self.place[end] - self.place[start] == k - 1  # no break between
            ):
                span = self.lower[self.spans[start][0] : self.spans[end][1]]
                return " ".join(span.split())
        return " ".join(words)


def interest_phrases(
    scorer: Scorer, mi: np.ndarray, mj: np.ndarray, need: np.ndarray | None = None
) -> list[list[str]]:
    """For each pair, the 1-3 shared interest phrases that weigh most.

    ``need`` (optional, boolean per pair) limits the work to the pairs whose
    phrases will be used; the others get ``[]``.
    """
    out: list[list[str]] = [[] for _ in range(len(mi))]
    if not scorer.has_model or len(mi) == 0:
        return out
    sel = np.arange(len(mi)) if need is None else np.flatnonzero(need)
    if len(sel) == 0:
        return out
    feats = scorer.features
    mentees, mentors = scorer.prep.instance.mentees, scorer.prep.instance.mentors
    tok_e: dict[int, _Text] = {}
    tok_r: dict[int, _Text] = {}
    for start in range(0, len(sel), 200_000):
        part = sel[start : start + 200_000]
        c = scorer.x_e[mi[part]].multiply(scorer.x_r[mj[part]]).tocsr()
        c.eliminate_zeros()
        counts = np.diff(c.indptr)
        row = np.repeat(np.arange(len(part)), counts)
        # per row: the 20 heaviest terms, ties by feature order
        order = np.lexsort((c.indices, -c.data, row))
        rank = np.arange(len(order)) - np.repeat(c.indptr[:-1], counts)
        top = order[rank < 20]
        top_row = row[top]
        terms = feats[c.indices[top]].tolist()
        bounds = np.searchsorted(top_row, np.arange(len(part) + 1)).tolist()
        ii = mi[part].tolist()
        jj = mj[part].tolist()
        for r, k in enumerate(part.tolist()):
            lo, hi = bounds[r], bounds[r + 1]
            if lo == hi:
                continue
            i, j = ii[r], jj[r]
            te = tok_e.get(i)
            if te is None:
                te = tok_e[i] = _Text(mentees[i].interests)
            tr = tok_r.get(j)
            if tr is None:
                tr = tok_r[j] = _Text(mentors[j].interests)

            def ok(words: list[str], te=te, tr=tr) -> bool:
                return te.has(words) and tr.has(words)

            out[k] = [te.quote(p.split()) for p in merge_phrases(terms[lo:hi], ok=ok)]
    return out


def pair_reasons(
    prep: Prepared,
    scorer: Scorer,
    mi: np.ndarray,
    mj: np.ndarray,
    comps: list[dict[str, float]],
) -> list[list[str]]:
    """Reasons from the compatibility components of pairs (mi[k], mj[k]).

    ``comps[k]`` holds pair k's applicable components (rounded values).
    """
    need = np.fromiter(
        (c.get("interests", 0) >= INTEREST_REASON_MIN for c in comps), dtype=bool, count=len(comps)
    )
    phrases = interest_phrases(scorer, mi, mj, need)
    gaps = np.nan_to_num(scorer.stage_r[mj] - scorer.stage_e[mi]).astype(np.int64).tolist()
    kp = scorer.key_pos
    equal = (scorer.code_e[mi] == scorer.code_r[mj]) & (scorer.code_e[mi] >= 0)
    shared_eq = (scorer.want[mi] & equal).tolist()
    path_eq = equal[:, [kp[k] for k in PATHWAY_KEYS]].tolist()
    mentees, mentors = prep.instance.mentees, prep.instance.mentors
    want_cache: dict[tuple, list[tuple[str, int]]] = {}  # per distinct wants_shared
    out: list[list[str]] = []
    for k, (i, j) in enumerate(zip(mi.tolist(), mj.tolist(), strict=True)):
        c = comps[k]
        reasons: list[str] = []
        if phrases[k] and need[k]:
            reasons.append("shared interest in " + join_words(phrases[k]))
        if c.get("seniority", 0) > 0:
            gap = gaps[k]
            if gap == 0:
                reasons.append("at the same career stage")
            elif gap > 0:
                stages = "career stage" if gap == 1 else "career stages"
                reasons.append(f"mentor {number_word(gap)} {stages} ahead")
        if c.get("shared", 0) > 0:
            eq = shared_eq[k]
            ws = tuple(mentees[i].wants_shared)
            wanted = want_cache.get(ws)
            if wanted is None:
                wanted = want_cache[ws] = [(key, kp[key]) for key in dict.fromkeys(ws)]
            # (a pathway or specialty in common is said below, in its own words)
            said = path_eq[k] if c.get("pathway", 0) > 0 else (False,) * len(PATHWAY_KEYS)
            keys = [key for key, col in wanted if eq[col] and not _said(key, said)]
            if keys:
                reasons.append("shared: " + ", ".join(keys))
        if c.get("pathway", 0) > 0:
            for key, same in zip(PATHWAY_KEYS, path_eq[k], strict=True):
                if same:
                    value = mentees[i].attributes.get(key, mentors[j].attributes.get(key))
                    value = str(value).strip()
                    if key == "pathway":
                        reasons.append(f"both on the {value} pathway")
                    else:
                        reasons.append(f"same {key}: {value}")
        out.append(reasons)
    return out


def _said(key: str, said) -> bool:
    return key in PATHWAY_KEYS and said[PATHWAY_KEYS.index(key)]


def dropped_notes(prep: Prepared, i: int) -> list[str]:
    """Notes on this mentee's choices that a hard rule left out."""
    notes = []
    for j, rule in prep.dropped.get(i, []):
        mentor_id = prep.instance.mentors[j].id
        notes.append(f"your choice {show(mentor_id)} was not considered: {RULE_TEXT[rule]}")
    return notes


CAUSES = ("not_run", "no_free_place", "rules", "not_found", "places_short")
"""Why the fallback did not place a mentee (``Unmatched.cause``): it was not run; no mentor
had a free place; no mentor with a free place meets the scheme's rules; none was found among
the pruned candidates; the free places went to other mentees."""


def unmatched_cause(prep: Prepared, i: int, phase2: dict | None) -> str:
    """One of :data:`CAUSES` for mentee ``i``, left unmatched."""
    if phase2 is None:
        return "not_run"
    if phase2["free_places"] == 0:
        return "no_free_place"
    if not phase2["has_candidate"][i]:
        return "rules" if phase2["full"] else "not_found"
    return "places_short"


def unmatched_reason(prep: Prepared, i: int, phase2: dict | None) -> str:
    """Why mentee ``i`` has no mentor, in plain words."""
    n_choices = prep.n_choices(i)
    n_dropped = len(prep.dropped.get(i, []))
    if n_choices == 0:
        first = "you made no choices"
    elif n_dropped == n_choices:
        first = "none of your choices could be used"
    else:
        first = "all your choices were full"
    cause = unmatched_cause(prep, i, phase2)
    if cause == "not_run":
        second = "the fallback to free places was not run"
    elif cause == "no_free_place":
        second = "no mentor had free capacity"
    elif cause == "rules":
        second = "no mentor with free capacity meets the scheme's rules"
    elif cause == "not_found":
        second = "no suitable mentor with free capacity was found"
    else:
        places = phase2["free_places"]
        second = (
            f"the free places went to other mentees ({places} "
            f"{'place' if places == 1 else 'places'} for {phase2['leftover']} mentees)"
        )
    text = f"{first} and {second}"
    notes = dropped_notes(prep, i)
    if notes:
        text += "; " + "; ".join(notes)
    return text
