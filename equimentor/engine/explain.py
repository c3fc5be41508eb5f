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


_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _tokens(text: str | None) -> str:
    """Lower-case words of a text, space separated and padded (for phrase lookup)."""
    return " " + " ".join(_TOKEN.findall((text or "").lower())) + " "


def interest_phrases(scorer: Scorer, mi: np.ndarray, mj: np.ndarray) -> list[list[str]]:
    """For each pair, the 1-3 shared interest phrases that weigh most."""
    out: list[list[str]] = [[] for _ in range(len(mi))]
    if scorer.vectorizer is None or len(mi) == 0:
        return out
    feats = scorer.features
    mentees, mentors = scorer.prep.instance.mentees, scorer.prep.instance.mentors
    for start in range(0, len(mi), 200_000):
        a = scorer.x_e[mi[start : start + 200_000]]
        b = scorer.x_r[mj[start : start + 200_000]]
        c = a.multiply(b).tocsr()
        c.sort_indices()
        ptr, idx, data = c.indptr, c.indices, c.data
        for r in range(len(ptr) - 1):
            lo, hi = ptr[r], ptr[r + 1]
            if lo == hi:
                continue
            cols = idx[lo:hi]
            vals = data[lo:hi]
            top = np.lexsort((cols, -vals))[:20]
            texts = (
                _tokens(mentees[int(mi[start + r])].interests),
                _tokens(mentors[int(mj[start + r])].interests),
            )

            def ok(words: list[str], texts=texts) -> bool:
                phrase = " " + " ".join(words) + " "
                return phrase in texts[0] and phrase in texts[1]

            out[start + r] = merge_phrases([str(feats[cols[t]]) for t in top], ok=ok)
    return out


def component_reasons(
    prep: Prepared,
    scorer: Scorer,
    i: int,
    j: int,
    comps: dict[str, float],
    phrases: list[str],
) -> list[str]:
    """Reasons from the compatibility components of one pair."""
    reasons: list[str] = []
    if phrases and comps.get("interests", 0) >= INTEREST_REASON_MIN:
        reasons.append("shared interest in " + join_words(phrases))
    if comps.get("seniority", 0) > 0:
        gap = int(scorer.stage_r[j] - scorer.stage_e[i])
        if gap == 0:
            reasons.append("at the same career stage")
        elif gap > 0:
            stages = "career stage" if gap == 1 else "career stages"
            reasons.append(f"mentor {number_word(gap)} {stages} ahead")
    mentee = prep.instance.mentees[i]
    mentor = prep.instance.mentors[j]
    if comps.get("shared", 0) > 0:
        keys = [
            k
            for k in dict.fromkeys(mentee.wants_shared)
            if scorer.want[i, scorer.key_pos[k]]
            and scorer.code_e[i, scorer.key_pos[k]] == scorer.code_r[j, scorer.key_pos[k]]
        ]
        if keys:
            reasons.append("shared: " + ", ".join(keys))
    if comps.get("pathway", 0) > 0:
        for key in PATHWAY_KEYS:
            c = scorer.key_pos[key]
            if scorer.code_e[i, c] >= 0 and scorer.code_e[i, c] == scorer.code_r[j, c]:
                value = str(mentee.attributes.get(key, mentor.attributes.get(key))).strip()
                if key == "pathway":
                    reasons.append(f"both on the {value} pathway")
                else:
                    reasons.append(f"same {key}: {value}")
    return reasons


def dropped_notes(prep: Prepared, i: int) -> list[str]:
    """Notes on this mentee's choices that a hard rule left out."""
    notes = []
    for j, rule in prep.dropped.get(i, []):
        mentor_id = prep.instance.mentors[j].id
        notes.append(f"your choice {show(mentor_id)} was not considered: {RULE_TEXT[rule]}")
    return notes


def unmatched_reason(prep: Prepared, i: int, phase2: dict | None) -> str:
    """Why mentee ``i`` has no mentor, in plain words."""
    n_choices = len(prep.choices[i])
    n_dropped = len(prep.dropped.get(i, []))
    if n_choices == 0:
        first = "you made no choices"
    elif n_dropped == n_choices:
        first = "none of your choices could be used"
    else:
        first = "all your choices were full"
    if phase2 is None:
        second = "the fallback to free places was not run"
    elif phase2["free_places"] == 0:
        second = "no mentor had free capacity"
    elif not phase2["has_candidate"][i]:
        if phase2["full"]:
            second = "no mentor with free capacity meets the scheme's rules"
        else:
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
