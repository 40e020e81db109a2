"""The model checker on 2PC and 3PC: bugs found, blocking found, correct ones exhausted."""

from __future__ import annotations

import pytest

from consensus_lab.commit import all_decided
from consensus_lab.explore import PROTOCOLS, get_spec
from consensus_lab.explore.commit import threepc_setup, twopc_setup


def test_registry_lists_2pc_and_3pc():
    assert {"2pc", "3pc"} <= set(PROTOCOLS)
    assert "coordinator-crash" in PROTOCOLS["2pc"].variants()
    assert set(PROTOCOLS["3pc"].variants()) == {"correct", "partition"}


@pytest.mark.parametrize("variant", ["majority-commit", "no-log-coordinator",
                                     "forgetful-participant", "commit-on-timeout"])
def test_buggy_2pc_variants_break_atomicity(variant):
    result = get_spec("2pc", variant).run()
    assert result.violation is not None and result.violation.invariant == "atomicity"
    replayed = result.violation.check()  # the counterexample replays to the same violation
    assert replayed.name == "atomicity"


def test_2pc_blocks_when_the_coordinator_crashes():
    """The search finds the shortest blocking schedule: p1 votes Yes, c1 crashes."""
    result = get_spec("2pc", "coordinator-crash").run()
    cx = result.violation
    assert cx is not None and cx.invariant == "not blocked"
    assert cx.actions[-1] == ("crash", "c1") and "c1" in cx.message


def test_correct_2pc_is_exhausted_safe():
    result = get_spec("2pc", "correct").run()
    assert result.ok and result.complete and result.goal_reached
    assert result.states > 500


def test_replicated_coordinator_never_blocks_in_its_scene():
    result = get_spec("2pc-replicated").run()
    assert result.ok and result.complete and result.goal_reached


def test_3pc_partition_found():
    result = get_spec("3pc", "partition").run()
    assert result.violation is not None and result.violation.invariant == "atomicity"
    assert any(kind == "fire" and "timer" in what for kind, what in result.violation.actions)


@pytest.mark.slow
def test_3pc_crash_only_is_exhausted_safe():
    result = get_spec("3pc", "correct").run()
    assert result.ok and result.complete


def test_3pc_crash_only_small_is_safe():
    """Two participants (fast): with synchronous timeouts and one crash, atomic and
    never blocked."""
    from consensus_lab.explore import explore
    from consensus_lab.explore.commit import dead, synchronous

    result = explore(lambda: threepc_setup(2), allow=synchronous, crash_budget=1, dead=dead,
                     goal=all_decided)
    assert result.ok and result.complete and result.goal_reached


def test_setups_are_fresh_and_checked():
    sim = twopc_setup("correct")
    assert [name for name, _ in sim.invariants] == ["atomicity"]
    assert [name for name, _ in twopc_setup(blocking=True).invariants] == [
        "atomicity", "not blocked"]
