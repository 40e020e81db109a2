"""The chapter's toy checker (replay in completion order) and why it is wrong."""

from __future__ import annotations

from hypothesis import given, settings
from test_linearizability import random_history

from consensus_lab.consistency import History, check, naive_check


def test_naive_rejects_a_linearizable_history() -> None:
    """A slow write and a fast read of its value: fine, but the read *finishes* first."""
    h = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3)])
    assert check(h, "register").verdict == "ok"
    assert naive_check(h) is False


def test_naive_agrees_on_the_stale_read() -> None:
    h = History.build([("c1", "write", 1, 0, 10), ("c2", "read", 1, 1, 3),
                       ("c3", "read", None, 4, 5)])
    assert check(h, "register").verdict == "illegal"
    assert naive_check(h) is False


@settings(max_examples=300, deadline=None)
@given(random_history())
def test_naive_never_accepts_a_non_linearizable_history(history: History) -> None:
    """The other direction is impossible: completion order respects real time, so a
    successful replay is itself a linearization (see the module docstring)."""
    if naive_check(history, "cas-register"):
        assert check(history, "cas-register").verdict == "ok"
