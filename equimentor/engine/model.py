"""Plain-data input and output types of the matching engine.

Everything here is a dataclass holding plain Python values so that any caller
(the Django adapter, the command line, tests) can build an :class:`Instance`
without importing anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

Id = str | int
"""A person's id: a string or an integer, returned exactly as given."""

COMPONENTS = ("seniority", "interests", "shared", "pathway")
"""Names of the compatibility components, in the order they are reported."""

DEFAULT_WEIGHTS: dict[str, float] = {
    "seniority": 1.0,
    "interests": 2.0,
    "shared": 1.0,
    "pathway": 1.0,
}
"""Default weight of each compatibility component."""


MENTOR_FIELDS = (
    "id",
    "capacity",
    "ranking",
    "institution",
    "career_stage",
    "interests",
    "attributes",
)
"""A mentor's keys in an instance's JSON form, in the order they are written."""

MENTEE_FIELDS = (
    "id",
    "choices",
    "institution",
    "career_stage",
    "interests",
    "attributes",
    "wants_shared",
    "avoid",
    "groups",
)
"""A mentee's keys in an instance's JSON form, in the order they are written."""


class InstanceError(ValueError):
    """The input is not a valid matching instance.

    The message names the offending entry, e.g.
    ``mentees[12] (id "m-77"): choice "x-9" is not a known mentor id``.
    """


@dataclass(slots=True)
class Mentor:
    """A mentor (or a peer offering to mentor) with a number of places.

    Parameters
    ----------
    id:
        Unique among mentors (a string or an integer).
    capacity:
        How many mentees this mentor can take (a whole number >= 0).
    ranking:
        Optional explicit order over mentee ids, best first. Mentees not in
        it come after, ordered by compatibility score.
    institution, career_stage, interests, attributes:
        Profile used by the hard rules and the compatibility score.
        ``career_stage`` is an integer on the scheme's ordinal scale.
    """

    id: Id
    capacity: int
    ranking: list[Id] | None = None
    institution: str | None = None
    career_stage: int | None = None
    interests: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Mentee:
    """A mentee with their ranked choices of mentors.

    Parameters
    ----------
    id:
        Unique among mentees (a string or an integer). In peer schemes a
        mentee whose id equals a mentor's id is the same person.
    choices:
        Mentor ids, best first (may be empty; empty when the instance gives every
        mentee's choices as mentor positions, :attr:`Instance.choices`).
    wants_shared:
        Attribute keys the mentee would like to share with their mentor.
    avoid:
        Mentor ids this mentee must never be matched with.
    groups:
        Opaque labels of the groups whose match rates the fair fallback
        equalises (e.g. ``["e2", "g1"]``; never identity values). Mentees
        with the same set of labels form one *cell*; an empty list is a cell
        of its own ("not stated"). See ``docs/matching.md``.
    """

    id: Id
    choices: list[Id] = field(default_factory=list)
    institution: str | None = None
    career_stage: int | None = None
    interests: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    wants_shared: list[str] = field(default_factory=list)
    avoid: list[Id] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Settings:
    """Per-scheme settings.

    Parameters
    ----------
    weights:
        Weight of each compatibility component (``seniority``,
        ``interests``, ``shared``, ``pathway``); missing keys take the
        defaults in :data:`DEFAULT_WEIGHTS`. Each weight must be >= 0.
    different_institutions:
        If true, mentor and mentee must be at different institutions
        (allowed when either institution is missing).
    ideal_seniority_gap:
        Ideal number of career stages the mentor is ahead (default 2).
    max_choices:
        If set, a mentee may list at most this many choices.
    fallback_full_limit:
        Up to this many mentees left over after phase 1, phase 2 considers
        every pair that keeps the hard rules (default 2000).
    fallback_candidates:
        Above ``fallback_full_limit``, phase 2 considers for each leftover
        mentee this many best-scoring mentors and for each mentor with free
        places this many best-scoring mentees, among those they are compared
        with (mentors grouped by interest; see ``docs/matching.md``) (default 30).
    policy:
        ``"fair"`` (default): mentors order mentees without the ``shared``
        component (asking to share characteristics never costs a place), and
        phase 2 matches as many mentees as possible, then makes the match
        rates of the mentees' groups as equal as possible (lexicographic
        max-min), then maximises compatibility. ``"score"``: the earlier
        behaviour (phase 2 maximises the number matched, then the total
        score).
    """

    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    different_institutions: bool = False
    ideal_seniority_gap: int = 2
    max_choices: int | None = None
    fallback_full_limit: int = 2000
    fallback_candidates: int = 30
    policy: str = "fair"


POLICIES = ("fair", "score")
"""Values of :attr:`Settings.policy`."""


@dataclass(slots=True)
class Choices:
    """Every mentee's choices in columnar form: mentors by position, not by id.

    Mentee ``i``'s choices, best first, are the mentors at positions
    ``mentor[ptr[i]:ptr[i + 1]]`` of :attr:`Instance.mentors`. A caller that
    already holds the choices as numbers (the web app's adapter, from database
    rows; the command line's file reader) gives them this way, so that
    :func:`~equimentor.engine.match` need not look up each choice's id. The
    same checks apply as to :attr:`Mentee.choices` (each position a mentor,
    none listed twice by one mentee, ``max_choices``), and the mentees' own
    ``choices`` must then be empty.

    Parameters
    ----------
    ptr:
        ``len(mentees) + 1`` whole numbers from 0, never decreasing, the last
        ``len(mentor)`` (a list or a one-dimensional numpy integer array).
    mentor:
        The position in :attr:`Instance.mentors` of each choice (likewise).
    """

    ptr: Sequence[int]
    mentor: Sequence[int]


@dataclass(slots=True)
class Instance:
    """A complete matching problem.

    Parameters
    ----------
    mentors, mentees:
        The people taking part.
    settings:
        Scheme settings.
    pinned:
        ``(mentee id, mentor id)`` pairs fixed by the coordinator.
    forbidden:
        ``(mentee id, mentor id)`` pairs that must never be matched (they
        declined or ended a match before).
    choices:
        Optionally, every mentee's choices as mentor positions (:class:`Choices`)
        instead of each :attr:`Mentee.choices` as ids; then those are empty.
    """

    mentors: list[Mentor]
    mentees: list[Mentee]
    settings: Settings = field(default_factory=Settings)
    pinned: list[tuple[Id, Id]] = field(default_factory=list)
    forbidden: list[tuple[Id, Id]] = field(default_factory=list)
    choices: Choices | None = None


@dataclass(slots=True)
class Assignment:
    """One mentee-mentor pair in the result.

    ``via`` is ``"choice"`` (phase 1), ``"fallback"`` (phase 2) or
    ``"pinned"``. ``choice_rank`` is 1 for the mentee's first choice, and
    None when the mentor was not among the mentee's choices.
    """

    mentee: Id
    mentor: Id
    via: str
    choice_rank: int | None
    score: float
    reasons: list[str]
    components: dict[str, float]


@dataclass(slots=True)
class Unmatched:
    """A mentee left without a mentor, with the reason in plain words.

    ``cause`` says in one word why the fallback did not place her: ``"not_run"``
    (``stable_only``), ``"no_free_place"`` (no mentor had a free place),
    ``"rules"`` (no mentor with a free place meets the scheme's rules),
    ``"not_found"`` (none among the pruned candidates), ``"places_short"`` (the
    free places went to other mentees).
    """

    mentee: Id
    reason: str
    cause: str = "places_short"


class Deferred(Sequence[T], Generic[T]):
    """A read-only list whose items are built on first use.

    :func:`~equimentor.engine.match` returns its assignments and unmatched
    mentees this way: the matching, the scores and the metrics are computed
    at once, while the reasons in plain words (the slowest part to produce for
    100,000 mentees) are phrased the first time the list is read, all at once,
    and kept. It behaves like a list for reading (``len``, indexing, slicing,
    iteration, ``==`` with a list).
    """

    __slots__ = ("_build", "_items", "_length")

    def __init__(self, build: Callable[[], list[T]], length: int) -> None:
        self._build: Callable[[], list[T]] | None = build
        self._items: list[T] | None = None
        self._length = length

    @property
    def items(self) -> list[T]:
        """The items as a list (built now if not yet)."""
        if self._items is None:
            build, self._build = self._build, None
            assert build is not None
            self._items = build()
            if len(self._items) != self._length:  # pragma: no cover - a bug in the builder
                raise RuntimeError("deferred list built with the wrong length")
        return self._items

    @property
    def built(self) -> bool:
        """Whether the items have been built yet."""
        return self._items is not None

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index):
        return self.items[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Deferred):
            other = other.items
        if not isinstance(other, list | tuple):
            return NotImplemented
        return self.items == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self._items is None:
            return f"<{self._length} items, not built yet>"
        return repr(self._items)


@dataclass(slots=True)
class Result:
    """The outcome of :func:`equimentor.engine.match`.

    ``assignments`` and ``unmatched`` follow the order of the mentees in the
    instance (lists, or from :func:`match` a :class:`Deferred` list whose
    reasons are phrased on first use). ``metrics`` is described in
    ``docs/matching.md``.
    """

    assignments: Sequence[Assignment]
    unmatched: Sequence[Unmatched]
    metrics: dict[str, Any]
