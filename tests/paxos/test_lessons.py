"""consensus_lab.paxos.lessons: the helpers notebook 08 stands on.

Phase stepping must stop exactly between phases; the model checker's
bounds must still find both classic bugs and exhaust the correct protocol;
the Multi-Paxos readouts must show what the run did.
"""

from __future__ import annotations

import pytest

from consensus_lab.consistency import check
from consensus_lab.explore.paxos_scene import check_command, model_check
from consensus_lab.paxos import acceptors_of, chosen_values, learned, paxos_sim, proposers_of
from consensus_lab.paxos.lessons import (
    CHAPTER_TABLE,
    kv_history,
    message_counts,
    slot_table,
    step_phase,
)
from consensus_lab.paxos.multi import multipaxos_sim, run_until_answered, wait_for_leader
from consensus_lab.paxos.multi.scenarios import gap_filling
from consensus_lab.sim import ConfigError, InvariantViolation, Network, SimulationError

NET = Network(latency=(10, 10))


# ---------------------------------------------------------------- phase by phase
def test_step_phase_stops_between_phases() -> None:
    """After the Prepares every acceptor has promised and none accepted; after the
    Accepts all accepted and the value is chosen, but nobody has learned it yet."""
    sim = paxos_sim(3, 1, 1, network=NET)
    assert step_phase(sim, "Prepare") == 4  # the start timer and three deliveries
    assert [str(a.promised) for a in acceptors_of(sim)] == ["1.p1"] * 3
    assert all(a.accepted is None for a in acceptors_of(sim))
    step_phase(sim, "Promise")
    assert proposers_of(sim)[0].phase == "accepting"
    step_phase(sim, "Accept")
    assert chosen_values(sim) == ["v-p1"] and learned(sim) == {}
    step_phase(sim, "Accepted")
    assert learned(sim) == {"l1": "v-p1"} and sim.now == 40


def test_step_phase_rejects_an_unknown_message() -> None:
    sim = paxos_sim(3, 1, 1, network=NET)
    with pytest.raises(ConfigError, match=r"'Commit'.*Prepare, Promise, Accept, Accepted"):
        step_phase(sim, "Commit")
    assert sim.steps == 0  # nothing was stepped


def test_step_phase_says_when_a_phase_never_comes() -> None:
    """With every acceptor crashed no Promise is ever sent: a clear error, not a hang."""
    sim = paxos_sim(3, 1, 1, network=NET)
    for a in ("a1", "a2", "a3"):
        sim.crash(a)
    with pytest.raises(SimulationError, match="no Promise phase within 30 steps"):
        step_phase(sim, "Promise", max_steps=30)


# ---------------------------------------------------------------- the model checker
@pytest.mark.parametrize("variant", ["forgetful-acceptor", "ignores-accepted"])
def test_model_check_finds_each_buggy_variant(variant: str) -> None:
    """From scratch, a shortest counterexample that replays into the same violation."""
    result = model_check(variant, acceptors=2)
    assert result.violation is not None and result.violation.invariant == "agreement"
    assert not result.complete
    assert len(result.violation) == 14  # each proposer's start is a move; dead replies go
    assert isinstance(result.violation.check(), InvariantViolation)
    assert "two values chosen: ['v-p1', 'v-p2']" in result.violation.message
    assert result.violation.check().name == "agreement"  # type: ignore[attr-defined]


@pytest.mark.parametrize("variant", ["correct", "amnesiac-acceptor"])
def test_model_check_exhausts_two_acceptors(variant: str) -> None:
    """Every schedule within the bounds keeps agreement (with 2 acceptors every
    majority holds both, so amnesia cannot hurt there)."""
    result = model_check(variant, acceptors=2)
    assert result.complete and result.violation is None
    assert result.states > 100


def test_model_check_rejects_an_unknown_variant() -> None:
    with pytest.raises(ConfigError, match="'sloppy'.*correct"):
        model_check("sloppy")


def test_check_command_names_the_variant() -> None:
    command = check_command("amnesiac-acceptor", acceptors=3)
    assert "model_check('amnesiac-acceptor', acceptors=3)" in command


# ---------------------------------------------------------------- Multi-Paxos
def test_slot_table_shows_the_no_op_and_the_crashed_leader() -> None:
    gap = gap_filling(seed=0)
    table = slot_table(gap.sim)
    live = [row for row in table.values() if row[1] != "crashed"]
    assert len(live) == 2 and len(table) == 3
    assert all(row == {1: "cmd1", 2: "no-op", 3: "cmd3"} for row in live)
    assert [row for row in table.values() if row[1] == "crashed"][0] == {
        1: "crashed", 2: "crashed", 3: "crashed"}


def test_a_stable_leader_sends_no_phase_1_messages() -> None:
    sim = multipaxos_sim(3, seed=0)
    leader = wait_for_leader(sim)
    elected_at = sim.now
    assert message_counts(sim)["P1a"] >= 2
    for i in range(3):
        sim.submit(leader, "put", "x", str(i), client="c1", timeout=2_000)
        run_until_answered(sim)
    after = message_counts(sim, start=elected_at + 1)
    assert "P1a" not in after and "P1b" not in after
    assert after["P2a"] == after["P2b"] == after["Decision"] == 3 * 2


def test_kv_history_reads_a_missing_key_as_empty_and_checks() -> None:
    sim = multipaxos_sim(3, seed=0)
    leader = wait_for_leader(sim)
    sim.submit(leader, "get", "nothing", client="c1", timeout=2_000)
    run_until_answered(sim)
    ops = [op for op in kv_history(sim).ops if op.status == "ok"]
    assert [op.output for op in ops] == [""]
    assert check(kv_history(sim), "kv").verdict == "ok"


def test_chapter_table_has_the_systems() -> None:
    used = next(row for row in CHAPTER_TABLE if row["property"].startswith("used in"))
    assert "Chubby" in used["Paxos"] and "ZAB" in used["Paxos"]
    assert used["Raft"] == "etcd, Consul, CockroachDB"
