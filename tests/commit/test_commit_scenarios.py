"""The atomic-commit scenarios: outcomes, blocking figures, determinism, the saga."""

from __future__ import annotations

import pytest

from consensus_lab.commit import (
    all_yes,
    atomicity_of,
    commit_sim,
    coordinator_crash,
    in_doubt_of,
    logged_outcome,
    one_no,
    outcome_of,
    participant_crash,
    run_saga,
    threepc_coordinator_crash,
    threepc_partition,
)
from consensus_lab.sim import InvariantViolation, Network


@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_all_yes_commits(protocol):
    run = all_yes(seed=4, protocol=protocol)
    assert set(run.outcomes.values()) == {"committed"} and run.violation is None


@pytest.mark.parametrize("protocol", ["2pc", "3pc", "replicated"])
def test_one_no_aborts_all(protocol):
    run = one_no(seed=4, voter="p3", protocol=protocol)
    assert set(run.outcomes.values()) == {"aborted"}
    assert run.in_doubt["p3"] == 0  # it never voted Yes


def test_coordinator_crash_after_prepare_blocks_until_recovery():
    """DDIA ch. 9: in-doubt participants wait for the coordinator, locks held."""
    down = 500
    run = coordinator_crash(seed=2, when="after-prepare", down_for=down)
    assert set(run.outcomes.values()) == {"aborted"}  # presumed abort on recovery
    assert min(run.in_doubt.values()) >= down
    assert all(run.locks_held[p] >= run.in_doubt[p] for p in run.outcomes)
    normal = all_yes(seed=2)
    assert run.max_in_doubt > 10 * normal.max_in_doubt


def test_coordinator_crash_after_commit_resends_commit():
    run = coordinator_crash(seed=2, when="after-commit", down_for=300)
    assert set(run.outcomes.values()) == {"committed"}
    assert min(run.in_doubt.values()) >= 300


@pytest.mark.parametrize("when", ["after-prepare", "after-commit"])
def test_replicated_coordinator_does_not_block(when):
    """Gray & Lamport 2006: with the decision chosen by Paxos among 3 replicas, c1's crash
    does not block; the others decide well before c1 would have come back."""
    down = 2_000
    plain = coordinator_crash(seed=5, when=when, down_for=down)
    replicated = coordinator_crash(seed=5, when=when, down_for=down, protocol="replicated")
    assert replicated.decided_at is not None and replicated.decided_at < down
    assert replicated.max_in_doubt < plain.max_in_doubt / 4
    assert len(set(replicated.outcomes.values())) == 1


def test_participant_crash_after_vote_recovers_in_doubt():
    run = participant_crash(seed=1, who="p2", down_for=250)
    assert set(run.outcomes.values()) == {"committed"}
    assert run.in_doubt["p2"] >= 250 > run.in_doubt["p1"]


def test_3pc_coordinator_crash_does_not_block():
    """Skeen 1981: with crashes only, the participants terminate without the coordinator."""
    run = threepc_coordinator_crash(seed=3)
    assert run.violation is None and run.decided_at is not None
    assert set(run.outcomes.values()) == {"committed"}  # p1 was pre-committed (TR4)


def test_3pc_partition_breaks_atomicity():
    """One side commits, the other aborts."""
    run = threepc_partition(seed=3)
    assert run.violation is not None and run.violation.startswith("atomicity")
    assert run.outcomes["p1"] == "committed" and "aborted" in run.outcomes.values()


def test_same_seed_same_digest():
    assert coordinator_crash(seed=9).digest == coordinator_crash(seed=9).digest
    assert threepc_partition(seed=9).digest == threepc_partition(seed=9).digest
    assert all_yes(seed=1).digest != all_yes(seed=2).digest


def test_atomicity_invariant_catches_a_buggy_coordinator():
    """p3's No is slow: a coordinator content with a majority has already committed."""
    slow_no = Network(latency=(2, 10)).with_link("p3", "c1", latency=(50, 50))
    sim = commit_sim("2pc", seed=0, variant="majority-commit", no_voters=["p3"],
                     network=slow_no)
    with pytest.raises(InvariantViolation, match="atomicity"):
        sim.run(until=1_000)
    correct = commit_sim("2pc", seed=0, no_voters=["p3"], network=slow_no)
    correct.run(until=1_000)
    assert {n.phase for n in correct.nodes.values()} == {"aborted"}


def test_saga_compensates_in_reverse_and_shows_intermediate_states():
    """Garcia-Molina & Salem 1987: on a failure the done steps are undone in reverse;
    readers saw them done in between (no isolation)."""
    result = run_saga(4, fail_step=3, seed=2)
    assert result.outcome == "compensated"
    final = result.snapshots[-1][1]
    assert final == ("undone", "undone", "failed", "-")
    seen = [records for _t, records in result.snapshots]
    assert ("done", "done", "-", "-") in seen  # visible before the failure
    undo_order = [i for prev, cur in zip(seen, seen[1:], strict=False)
                  for i, (a, b) in enumerate(zip(prev, cur, strict=True))
                  if a == "done" and b == "undone"]
    assert undo_order == [1, 0]


def test_saga_without_failure_is_done():
    result = run_saga(3, seed=0)
    assert result.outcome == "done" and result.snapshots[-1][1] == ("done",) * 3


def test_atomicity_on_state_values_agrees_with_the_monitor():
    """The value-level checks (for a checker without node objects) see the same split:
    each participant's outcome from its state value, or from its log if it is down."""
    slow_no = Network(latency=(2, 10)).with_link("p3", "c1", latency=(50, 50))
    sim = commit_sim("2pc", seed=0, variant="majority-commit", no_voters=["p3"],
                     network=slow_no, invariants=False)
    sim.run(until=1_000)
    found = {p: outcome_of(sim.nodes[p].state) or logged_outcome(sim.stored(p))
             for p in ("p1", "p2", "p3")}
    assert found == {"p1": "commit", "p2": "commit", "p3": "abort"}
    assert atomicity_of(found) == ("p1, p2 committed but p3 aborted "
                                   "(atomicity: all commit or all abort)")
    assert atomicity_of({"p1": "commit", "p2": None}) is None
    assert not any(in_doubt_of(sim.nodes[p].state) for p in found)
