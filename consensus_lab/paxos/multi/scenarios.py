"""Scripted Multi-Paxos experiments for the notebooks and their tests.

* :func:`messages_per_command` — the message bill of a client workload
  through a stable leader (compare :func:`consensus_lab.compare.paxos_raft.compare_with_raft`).
* :func:`leader_failover` — crash the leader; a new one takes over with a
  higher ballot and the commands go on.
* :func:`gap_filling` — a leader crashes with a hole in its slots (one
  command never reached any acceptor); the next leader fills it with a
  no-op so the replicas can go on past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...sim import Network, Simulation, SimulationError
from ..workload import MessageBill, run_workload
from .cluster import leader_of, multipaxos_sim, run_until_answered, servers, wait_for_leader
from .leader import NOOP
from .messages import P2a
from .server import MultiPaxosConfig, MultiPaxosServer


def messages_per_command(commands: int = 100, *, n: int = 3, seed: int = 0,
                         workload: str = "sequential",
                         network: Network | None = None) -> MessageBill:
    """Elect a leader, then run ``workload`` through it and count every message sent."""
    sim = multipaxos_sim(n, seed=seed, network=network, invariants=False, trace=False)
    leader = wait_for_leader(sim)
    sim.run(until=sim.now + 100)  # a heartbeat round: everybody follows the leader
    return run_workload(sim, leader, commands, workload, protocol="multi-paxos")


@dataclass(frozen=True, slots=True)
class Failover:
    """Who led before and after the crash, and with which ballots."""

    old_leader: str
    old_ballot: Any
    new_leader: str
    new_ballot: Any
    takeover_ms: int  # from the crash until the new leader's ballot was adopted
    answered: list[str]
    sim: Simulation


def leader_failover(seed: int = 0, *, n: int = 3) -> Failover:
    """Two commands, crash the leader, two more commands through the new leader."""
    sim = multipaxos_sim(n, seed=seed)
    old = wait_for_leader(sim)
    old_ballot = _server(sim, old).leader.ballot
    for i in range(2):
        sim.submit(old, "append", "log", f"a{i}", client="c1", timeout=2_000)
        run_until_answered(sim)
    sim.crash(old)
    crashed_at = sim.now
    new = wait_for_leader(sim)
    takeover = sim.now - crashed_at
    for i in range(2):
        sim.submit(new, "append", "log", f"b{i}", client="c1", timeout=2_000)
        run_until_answered(sim)
    answered = [str(op.value) for op in sim.history if op.type == "ok"]
    return Failover(old, old_ballot, new, _server(sim, new).leader.ballot, takeover,
                    answered, sim)


@dataclass(frozen=True, slots=True)
class GapFilling:
    """The slots the new leader found: the hole and what filled it."""

    hole: int
    filled_with: Any
    decided: dict[int, Any]
    sim: Simulation


def gap_filling(seed: int = 0) -> GapFilling:
    """The leader proposes slots 1-3, but slot 2's P2a never reaches another acceptor.

    Slots 1 and 3 are chosen; the leader crashes before it resends slot 2.
    The new leader's scout learns slots 1 and 3 from the acceptors, finds
    slot 2 empty, and proposes a no-op for it (Paxos Made Simple §3), so
    every replica performs 1, 2 (no-op), 3 in order.
    """
    config = MultiPaxosConfig(resend_interval=10_000)  # no resend before the crash
    sim = multipaxos_sim(3, seed=seed, config=config)
    old = wait_for_leader(sim)
    sim.run(until=sim.now + 100)
    for i in range(1, 4):
        sim.call(old, "submit", f"cmd{i}")  # plain values: the lab's KV passes them through
    for event in sim.pending():
        if isinstance(event.msg, P2a) and event.msg.slot == 2:
            sim.drop(event.id)
    sim.run(until=lambda s: all(2 not in srv.replica.decisions and 3 in srv.replica.decisions
                                for srv in servers(s)) or s.now > 5_000)
    sim.crash(old)
    wait_for_leader(sim)
    sim.run(until=lambda s: all(srv.replica.slot_out > 3 for srv in servers(s))
            or s.now > 20_000)
    survivor = servers(sim)[0]
    if survivor.replica.slot_out <= 3:
        raise SimulationError(f"slots not all performed by t={sim.now} (seed {seed})")
    decided = {s: survivor.replica.decisions[s] for s in (1, 2, 3)}
    return GapFilling(2, decided[2], decided, sim)


def _server(sim: Simulation, node_id: str) -> MultiPaxosServer:
    node = sim.nodes[node_id]
    if not isinstance(node, MultiPaxosServer):
        raise SimulationError(f"{node_id} is crashed")
    return node


__all__ = ["Failover", "GapFilling", "NOOP", "gap_filling", "leader_failover", "leader_of",
           "messages_per_command"]
