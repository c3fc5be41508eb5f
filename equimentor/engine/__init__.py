"""Equimentor's matching engine: plain data in, plain data out.

No Django here: the web app adapts its rows to these dataclasses and back.

Phase 1 is mentee-proposing deferred acceptance over the mentees' ranked
choices (the mentee-optimal stable matching); phase 2 assigns the mentees
left over to the remaining places by an optimal assignment (most mentees
matched, then highest total compatibility). Hard rules (capacity, different
institutions, ``avoid`` lists, ``forbidden`` pairs, nobody with themselves)
are never broken. See ``docs/matching.md``.

Example
-------
>>> from equimentor.engine import Instance, Mentee, Mentor, match, check_stability
>>> inst = Instance(
...     mentors=[
...         Mentor(id="ana", capacity=1, career_stage=4, interests="health services research"),
...         Mentor(id="ben", capacity=1, career_stage=3, interests="cardiology trials"),
...     ],
...     mentees=[
...         Mentee(id=1, choices=["ana"], career_stage=2, interests="health services research"),
...         Mentee(id=2, choices=["ana"], career_stage=1, interests="clinical trials"),
...     ],
... )
>>> result = match(inst)
>>> [(a.mentee, a.mentor, a.via) for a in result.assignments]
[(1, 'ana', 'choice'), (2, 'ben', 'fallback')]
>>> result.assignments[0].reasons[:2]
['your 1st choice', 'shared interest in health services research']
>>> check_stability(inst, result)
[]
"""

from .core import check_stability, match
from .model import (
    COMPONENTS,
    DEFAULT_WEIGHTS,
    Assignment,
    Choices,
    Deferred,
    Instance,
    InstanceError,
    Mentee,
    Mentor,
    Result,
    Settings,
    Unmatched,
)
from .serialize import instance_to_dict, result_to_dict
from .validate import instance_from_dict

__all__ = [
    "COMPONENTS",
    "DEFAULT_WEIGHTS",
    "Assignment",
    "Choices",
    "Deferred",
    "Instance",
    "InstanceError",
    "Mentee",
    "Mentor",
    "Result",
    "Settings",
    "Unmatched",
    "check_stability",
    "instance_from_dict",
    "instance_to_dict",
    "match",
    "result_to_dict",
]
