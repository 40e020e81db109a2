"""Single-decree Paxos on the value checker: bugs found, reductions sound, replays play."""

from __future__ import annotations

import pytest

from consensus_lab.explore.paxos_scene import paxos_scene
from consensus_lab.explore.replay import explore_scene
from consensus_lab.explore.space import Search
from consensus_lab.sim import InvariantViolation

BUGGY = ("forgetful-acceptor", "ignores-accepted", "amnesiac-acceptor")
MODES = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize("variant", BUGGY[:2])
def test_every_mode_finds_two_values_chosen_in_14_moves(variant: str) -> None:
    lengths = set()
    for por, sym in MODES:
        found = Search(paxos_scene(variant), por=por, symmetry=sym).run()
        assert found.violation is not None and found.invariant == "agreement"
        lengths.add(len(found.violation))
    assert lengths == {14}


def test_reductions_reach_the_same_states_and_terminal_worlds() -> None:
    counts, terminal = {}, {}
    for por, sym in MODES:
        search = Search(paxos_scene("correct"), por=por, symmetry=sym, keep_terminal=True)
        found = search.run(max_depth=11)
        counts[(por, sym)], terminal[(por, sym)] = found.states, found.terminal_worlds
    assert counts[(False, False)] == counts[(True, False)] > counts[(False, True)]
    assert counts[(False, True)] == counts[(True, True)]
    assert terminal[(False, False)] == terminal[(True, False)]
    assert terminal[(False, True)] == terminal[(True, True)]


def test_the_amnesiac_acceptor_needs_its_reboot() -> None:
    assert Search(paxos_scene("amnesiac-acceptor", crashes=0)).run().complete
    result = explore_scene(paxos_scene("amnesiac-acceptor"))
    cx = result.violation
    assert cx is not None and len(cx) == 15
    assert [a.kind for a in cx.path].count("reboot") == 1
    error = cx.check()
    assert isinstance(error, InvariantViolation) and error.name == "agreement"
    assert "two values chosen" in error.message


def test_the_goal_is_reached_and_replays() -> None:
    result = explore_scene(paxos_scene("correct"), max_depth=10)
    goal = result.goal
    assert goal is not None and result.violation is None
    assert len(goal) == 7  # start, 2 Prepares, 2 Promises, 2 Accepts: a majority accepted
    accepts = [r for r in goal.sim.trace.filter("deliver").records
               if type(r.message).__name__ == "Accept"]
    assert len(accepts) == 2 and "P2b" in goal.sim.trace.filter("send").records[-1].rule


@pytest.mark.slow
def test_correct_paxos_is_exhausted_with_no_violation() -> None:
    found = Search(paxos_scene("correct")).run()
    assert found.complete and found.violation is None
    assert found.states == 23_937  # the old explorer's count, state for state
