"""TrueTime's API and the two commit rules, one test per sentence of the Spanner paper.

References: Corbett et al., "Spanner: Google's Globally-Distributed
Database", OSDI 2012 — §3 (Table 1, the TrueTime API) and §4.1.2 (the
"Start" and "Commit Wait" rules of read-write transactions).
"""

from __future__ import annotations

import pytest

from consensus_lab.sim.step import Fire
from consensus_lab.spanner import (
    TrueTime,
    TTInterval,
    commit_timestamp,
    commit_wait_over,
    wait_ticks,
)


def reading(now: int) -> Fire:
    """A step's input that arrived when the local clock read ``now``: the one way a step
    reads time, and all TrueTime needs."""
    return Fire("tick", now)


def test_now_is_an_interval_of_width_two_epsilon_around_the_local_clock() -> None:
    """§3: "TT.now() returns a TTinterval [earliest, latest]"; ε is "half of the interval's
    width"."""
    tt = TrueTime(epsilon=7)
    assert tt.now(reading(100)) == TTInterval(93, 107)
    assert tt.now(reading(100)).width == 14


def test_after_means_t_has_definitely_passed() -> None:
    """§3, Table 1: "TT.after(t): true if t has definitely passed" — earliest > t."""
    tt = TrueTime(epsilon=5)
    assert tt.after(reading(100), 94)
    assert not tt.after(reading(100), 95)  # true time may be exactly 95: not *definitely* past


def test_before_means_t_has_definitely_not_arrived() -> None:
    """§3, Table 1: "TT.before(t): true if t has definitely not arrived" — latest < t."""
    tt = TrueTime(epsilon=5)
    assert tt.before(reading(100), 106)
    assert not tt.before(reading(100), 105)


def test_commit_timestamp_is_no_less_than_latest() -> None:
    """§4.1.2, Start: s_i is "no less than the value of TT.now().latest"."""
    assert commit_timestamp(TTInterval(90, 110), last_timestamp=0) == 110


def test_commit_timestamps_rise_within_a_leader() -> None:
    """§4.1.1: a leader assigns timestamps in monotonically increasing order, even when its
    clock reads the same twice."""
    assert commit_timestamp(TTInterval(90, 110), last_timestamp=110) == 111
    assert commit_timestamp(TTInterval(90, 110), last_timestamp=200) == 201


def test_commit_wait_holds_until_earliest_passes_s() -> None:
    """§4.1.2, Commit Wait: "clients cannot see any data committed by T_i until
    TT.after(s_i) is true"."""
    assert not commit_wait_over(TTInterval(110, 130), 110)
    assert commit_wait_over(TTInterval(111, 131), 110)


def test_wait_ticks_is_about_two_epsilon_after_picking_latest() -> None:
    """§4.2.1: "the expected wait is at least 2 * ε": s = latest, and earliest must pass it."""
    now = TrueTime(epsilon=10).now(reading(500))
    s = commit_timestamp(now, 0)
    assert wait_ticks(now, s) == 2 * 10 + 1
    assert commit_wait_over(TrueTime(epsilon=10).now(reading(500 + 21)), s)
    assert not commit_wait_over(TrueTime(epsilon=10).now(reading(500 + 20)), s)
    assert wait_ticks(TTInterval(600, 620), s) == 0


@pytest.mark.parametrize("epsilon", [-1, 1.5, "3", True, None])
def test_bad_epsilon_is_refused_by_name(epsilon: object) -> None:
    with pytest.raises(ValueError, match=r"epsilon must be an int number of ms >= 0, got"):
        TrueTime(epsilon=epsilon)  # type: ignore[arg-type]


def test_bad_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"earliest <= latest, got \[5, 4\]"):
        TTInterval(5, 4)
    with pytest.raises(TypeError, match="TTInterval.latest must be an int"):
        TTInterval(1, 2.5)  # type: ignore[arg-type]
