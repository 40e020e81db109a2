"""The model checker on 2PC and 3PC: bugs found, blocking found, correct ones exhausted."""

from __future__ import annotations

import pytest

from consensus_lab.commit import commit_protocols
from consensus_lab.explore import PROTOCOLS, Scene, explore_scene, get_spec
from consensus_lab.explore.commit_checks import (
    all_decided,
    atomicity,
    dead,
    not_blocked,
    synchronous,
)
from consensus_lab.explore.commit_scenes import CommitModel, twopc_scene


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
    model = CommitModel(commit_protocols("3pc", 2), remember_crashes=True)
    scene = Scene(model, invariants={"atomicity": atomicity, "not blocked": not_blocked},
                  allow=synchronous, crashes=1, dead=dead, goal=all_decided)
    result = explore_scene(scene)
    assert result.ok and result.complete and result.goal_reached


def test_scenes_are_fresh_and_checked():
    scene = twopc_scene("correct")
    assert list(scene.invariants) == ["atomicity"] and scene.prefix == ()
    assert list(twopc_scene("coordinator-crash").invariants) == ["atomicity", "not blocked"]
