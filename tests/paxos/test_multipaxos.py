"""Multi-Paxos scenarios: a replicated KV store, leader failover, gap filling, and the
message bill compared with Raft.

Client operations go through ``sim.submit`` and the history is checked for
linearizability with :func:`consensus_lab.consistency.check` (the ``kv``
model), as for Raft's store.
"""

from __future__ import annotations

import pytest

from consensus_lab.compare.paxos_raft import raft_messages_per_command
from consensus_lab.consistency import check
from consensus_lab.paxos import Ballot
from consensus_lab.paxos.multi import (
    NOOP,
    leader_of,
    multipaxos_sim,
    performed,
    run_until_answered,
    servers,
    wait_for_leader,
)
from consensus_lab.paxos.multi.scenarios import (
    gap_filling,
    leader_failover,
    messages_per_command,
)
from consensus_lab.paxos.multi.server import fresh_state
from consensus_lab.sim import InvariantViolation, Network, Simulation
from consensus_lab.viz.experiments import compare_with_raft
from tests.paxos.harness import kv_history


def answers(sim: Simulation) -> list[tuple[str, str, object]]:
    return [(op.f, op.type, op.value) for op in sim.history if op.type != "invoke"]


def test_one_leader_runs_phase_1_once_then_one_round_trip_per_command() -> None:
    """Multi-Paxos' point (PMS §3): after one phase 1 the leader runs only phase 2 —
    P1a/P1b are sent once, and every command costs P2a, P2b and a Decision."""
    sim = multipaxos_sim(3, seed=1)
    leader = wait_for_leader(sim)
    phase1 = sim.sent_by_type.get("P1a", 0)
    for i in range(5):
        sim.submit(leader, "put", "x", str(i), client="c1", timeout=2_000)
        run_until_answered(sim)
    assert sim.sent_by_type.get("P1a", 0) == phase1 == 2  # to the two other acceptors
    assert sim.sent_by_type["P2a"] == sim.sent_by_type["P2b"] == sim.sent_by_type[
        "Decision"] == 5 * 2
    assert answers(sim) == [("put", "ok", str(i)) for i in range(5)]


def test_kv_operations_through_any_server_are_linearizable() -> None:
    """PMMC replicas take requests at every server: a follower's replica proposes to
    the leader and answers when it performs the command. The history is
    linearizable and every replica ends with the same store."""
    sim = multipaxos_sim(3, seed=2)
    wait_for_leader(sim)
    script = [("n1", "put", "k", "a"), ("n2", "append", "k", "b"), ("n3", "get", "k", None),
              ("n2", "append", "k", "c"), ("n1", "get", "k", None), ("n3", "get", "j", None)]
    for node, f, key, value in script:
        sim.submit(node, f, key, value, client=f"c-{node}", timeout=3_000)
        run_until_answered(sim)
    assert answers(sim) == [("put", "ok", "a"), ("append", "ok", "ab"), ("get", "ok", "ab"),
                            ("append", "ok", "abc"), ("get", "ok", "abc"), ("get", "ok", None)]
    sim.run(until=sim.now + 300)
    assert [s.replica.store.data for s in servers(sim)] == [{"k": "abc"}] * 3
    assert check(kv_history(sim), "kv").verdict == "ok"


def test_concurrent_clients_under_drops_are_linearizable() -> None:
    """Six clients at once on a lossy network: resends and catch-up repair the losses;
    every operation is answered and the history is linearizable."""
    sim = multipaxos_sim(5, seed=3, network=Network(latency=(1, 12), drop=0.1, duplicate=0.05))
    wait_for_leader(sim)
    for rnd in range(4):
        for c in range(6):
            f = ("put", "append", "get")[(c + rnd) % 3]
            sim.submit(f"n{1 + c % 5}", f, f"k{c % 2}", f"{rnd}{c}", client=f"c{c}",
                       timeout=5_000)
        run_until_answered(sim, within=8_000)
    assert all(op.type == "ok" for op in sim.history if op.type != "invoke")
    assert check(kv_history(sim), "kv").verdict == "ok"


def test_leader_failover_a_new_leader_takes_over_with_a_higher_ballot() -> None:
    """The leader crashes; after the election timeout (150-300 ms since the last
    heartbeat, which came up to 50 ms + a latency before the crash) another server
    scouts with a higher ballot, is adopted and serves the next commands, which see
    the old ones."""
    result = leader_failover(seed=1)
    assert result.new_leader != result.old_leader
    assert result.new_ballot > result.old_ballot
    assert 150 - 50 - 10 <= result.takeover_ms <= 1_000
    assert result.answered == ["a0", "a0a1", "a0a1b0", "a0a1b0b1"]


def test_a_new_leader_fills_a_hole_with_a_noop() -> None:
    """Paxos Made Simple §3: slot 2's command reached no other acceptor before the
    leader crashed; slots 1 and 3 were chosen. The next leader proposes a no-op for
    slot 2, and every replica performs 1, 2 (no-op), 3."""
    result = gap_filling(seed=0)
    assert result.decided == {1: "cmd1", 2: NOOP, 3: "cmd3"}
    assert all(performed(result.sim, s.node_id)[:3] == [(1, "cmd1"), (2, NOOP), (3, "cmd3")]
               for s in servers(result.sim))


def test_a_partitioned_old_leader_steps_down_and_its_clients_commands_survive() -> None:
    """The leader is cut off with its client's command; the majority elects a new
    leader; after the heal the old one is preempted, its replica re-proposes the
    command to the new leader, and it is performed exactly once everywhere."""
    sim = multipaxos_sim(5, seed=5)
    old = wait_for_leader(sim)
    others = [i for i in sim.node_ids if i != old]
    sim.partition([old], others)
    sim.submit(old, "append", "log", "x", client="c1", timeout=10_000)
    sim.run(until=sim.now + 1_000)
    new = leader_of(sim)
    assert new is not None and new != old
    sim.heal()
    run_until_answered(sim, within=5_000)
    sim.run(until=sim.now + 500)
    assert answers(sim) == [("append", "ok", "x")]
    assert [s.replica.store.data for s in servers(sim)] == [{"log": "x"}] * 5
    assert not sim.nodes[old].leader.active  # type: ignore[union-attr]


def test_a_restarted_server_catches_up_from_the_leader() -> None:
    """A crashed server loses its replica's state; on restart it learns every decision
    again from the leader (CatchUp / Decisions) and rebuilds the same store."""
    sim = multipaxos_sim(3, seed=6)
    leader = wait_for_leader(sim)
    victim = next(i for i in sim.node_ids if i != leader)
    sim.crash(victim)
    for i in range(4):
        sim.submit(leader, "append", "k", str(i), client="c1", timeout=2_000)
        run_until_answered(sim)
    sim.restart(victim)
    sim.run(until=sim.now + 500)
    assert sim.nodes[victim].replica.store.data == {"k": "0123"}  # type: ignore[union-attr]
    assert sim.sent_by_type.get("CatchUp", 0) >= 1


def test_the_invariants_catch_two_commands_chosen_for_one_slot() -> None:
    """The agreement check has teeth: forge an acceptor state where a majority accepted
    another command for an already chosen slot."""
    sim = multipaxos_sim(3, seed=7)
    leader = wait_for_leader(sim)
    sim.submit(leader, "put", "k", "v", client="c1", timeout=2_000)
    run_until_answered(sim)
    for server in servers(sim)[:2]:
        server.journal.append((1, Ballot(99, "n9"), "forged"))
    with pytest.raises(InvariantViolation, match="slot 1: .* chosen in ballot .* and forged"):
        sim.check_invariants()


def test_states_are_values_deterministic_and_leave_out_ghosts() -> None:
    """Same seed, same state values (hashable); the journals (ghosts) are not part of them,
    and a state rebuilt from what a server persisted holds its acceptor exactly."""
    states = []
    for _ in range(2):
        sim = multipaxos_sim(3, seed=8)
        leader = wait_for_leader(sim)
        sim.submit(leader, "put", "k", "v", client="c1", timeout=2_000)
        run_until_answered(sim)
        states.append(tuple(s.state for s in servers(sim)))
        hash(states[-1])
    assert states[0] == states[1]
    server = servers(sim)[0]
    assert server.journal, "the ghost journal records every accept"
    before = server.state
    server.journal.append((9, None, None))  # type: ignore[arg-type]
    assert server.state == before
    assert fresh_state(server.node_id, server.peers, sim.stored(server.node_id)).acceptor \
        == server.acceptor


def test_messages_per_command_one_at_a_time_is_three_per_other_server() -> None:
    """Sequential workload, 3 servers: each command costs P2a + P2b + Decision to each
    of the 2 others (6), plus the heartbeats sent meanwhile."""
    bill = messages_per_command(50, n=3, seed=0)
    assert bill.answered == 50
    assert bill.by_type["P2a"] == bill.by_type["P2b"] == bill.by_type["Decision"] == 100
    heartbeats = bill.by_type.get("Heartbeat", 0)
    assert bill.messages == 300 + heartbeats
    assert 6 < bill.per_command < 6 + 2 * (bill.sim_time / 50 + 1) / 50


def test_compare_with_raft_on_the_same_workload() -> None:
    """Raft needs AppendEntries + reply per follower (2(n-1)) one at a time, Paxos 3(n-1);
    in a burst Raft batches entries and pays far less per command."""
    frame = compare_with_raft(commands=40, seed=0)
    assert list(zip(frame.protocol, frame.workload, strict=True)) == [
        ("multi-paxos", "sequential"), ("raft", "sequential"),
        ("multi-paxos", "burst"), ("raft", "burst")]
    assert (frame.answered == 40).all()
    rows = {(p, w): r for p, w, r in zip(frame.protocol, frame.workload,
                                         frame.to_dict("records"), strict=True)}
    raft_seq = rows[("raft", "sequential")]
    assert raft_seq["msgs:AppendEntries"] >= 80 and raft_seq["msgs:P2a"] == 0
    assert rows[("multi-paxos", "sequential")]["per_command"] > raft_seq["per_command"]
    assert rows[("raft", "burst")]["per_command"] < 2 < rows[("multi-paxos", "burst")][
        "per_command"]
    assert raft_messages_per_command(10, seed=0).answered == 10


def test_a_single_server_leads_itself_and_refuses_malformed_requests() -> None:
    """One server is its own majority; a list value becomes a tuple (messages are
    immutable); a command the store cannot run fails at once and never reaches a slot."""
    sim = multipaxos_sim(1, seed=0)
    leader = wait_for_leader(sim)
    sim.submit(leader, "put", "x", "1", timeout=1_000)
    sim.submit(leader, "cas", "x", ["1", "2"], client="c2", timeout=1_000)
    sim.submit(leader, "frob", "x", 1, client="c3", timeout=1_000)
    run_until_answered(sim)
    assert sorted(answers(sim), key=str) == sorted([
        ("put", "ok", "1"), ("cas", "ok", True),
        ("frob", "fail", {"error": "unknown command op 'frob'; allowed: get, put, append, "
                                   "cas, noop"})], key=str)
    assert servers(sim)[0].replica.slot_out == 3 and servers(sim)[0].replica.store.data == {
        "x": "2"}
