"""A value computed once for every process (core.once): many asking at once wait for one
computation; one that fails leaves the others to compute it themselves."""

from __future__ import annotations

import threading
import time

import pytest

from equimentor.core import once


def _at_once(n, target):
    threads = [threading.Thread(target=target) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_many_at_once_compute_once():
    calls, got = [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return ["order"]

    _at_once(8, lambda: got.append(once.computed_once("once-test-a", compute, timeout=60)))
    assert got == [["order"]] * 8
    assert len(calls) == 1
    assert once.computed_once("once-test-a", compute, timeout=60) == ["order"]
    assert len(calls) == 1


def test_a_failed_computation_leaves_the_others_to_compute_it():
    calls, got = [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        if len(calls) == 1:
            raise RuntimeError("the first one fails")
        return ["order"]

    def ask():
        try:
            got.append(once.computed_once("once-test-b", compute, timeout=60))
        except RuntimeError:
            got.append("failed")

    _at_once(3, ask)
    assert sorted(map(str, got)) == ["['order']", "['order']", "failed"]


def test_it_refuses_nothing_to_keep():
    with pytest.raises(ValueError):
        once.computed_once("once-test-c", lambda: None, timeout=60)
