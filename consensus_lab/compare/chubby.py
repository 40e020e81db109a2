"""Chubby's published figures next to what the lab's Multi-Paxos and Raft measure.

The chapter quotes Chubby (Burrows, OSDI 2006): a cell of 5 replicas that
tolerates 2 failures, reads under 10 ms, writes around 100 ms. Chubby's
master answers reads from its cache while it holds a master lease (no
consensus round), and a write goes through Multi-Paxos to a majority.

:func:`chubby_comparison` runs 5-node Multi-Paxos and Raft clusters of the
lab on one latency model (every message 1 to 10 ms, as the Spanner store
uses) and measures, per protocol: the write latency, the latency of a read
that goes through the log (how the lab's stores read), what a lease read
would cost (one client round trip: a model, not a run), and how many
crashed replicas writes survive. The lab models no disks, no load and no
batching, so its writes are pure network round trips — which is why they
come out far below Chubby's 100 ms.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean
from typing import Any

from ..paxos.multi.cluster import multipaxos_sim, wait_for_leader
from ..raft.cluster import check_one_leader, raft_cluster
from ..sim import Network, Simulation
from ..spanner.cluster import DEFAULT_NETWORK

#: The chapter's Chubby figures (published, not measured here).
CHUBBY = {"system": "Chubby (published)", "replicas": 5, "tolerates": 2, "read_ms": "< 10",
          "lease_read_ms": "< 10", "write_ms": "~100",
          "how": "master serves reads from its cache under a lease; writes by Multi-Paxos"}


def _latencies(sim: Simulation, leader: str, op: str, count: int,
               within: int = 2_000) -> list[int | None]:
    """``count`` sequential ``op`` requests to ``leader``: each latency, None if not answered."""
    found: list[int | None] = []
    for i in range(count):
        start = len(sim.history)
        value = None if op == "get" else i
        sim.submit(leader, op, key=f"k{i % 3}", value=value, client="c1", timeout=within)
        def answered(s: Simulation, start: int = start) -> bool:
            return len(s.history) > start + 1

        sim.run(until=answered, max_steps=1_000_000)
        invoke, done = sim.history.ops[start], sim.history.ops[-1]
        found.append(done.time - invoke.time if done.type == "ok" else None)
    return found


def _tolerates(sim: Simulation, leader: str, n: int) -> int:
    """Crash followers one at a time; the most crashes after which a write still succeeds."""
    followers = [node for node in sim.node_ids if node != leader]
    survived = 0
    for crashed, node in enumerate(followers[: n // 2 + 1], start=1):
        sim.crash(node)
        if None in _latencies(sim, leader, "put", 1):
            break
        survived = crashed
    return survived


def _measure(name: str, build: Callable[[], tuple[Simulation, str]], count: int,
             network: Network, n: int) -> dict[str, Any]:
    sim, leader = build()
    sim.run(until=sim.now + 100)  # let every follower hear from the leader
    writes = _latencies(sim, leader, "put", count)
    reads = _latencies(sim, leader, "get", count)
    low, high = network.default.latency
    return {"system": f"lab {name} (measured)", "replicas": n,
            "tolerates": _tolerates(sim, leader, n),
            "read_ms": round(mean(x for x in reads if x is not None), 1),
            "lease_read_ms": (low + high) / 2 * 2,
            "write_ms": round(mean(x for x in writes if x is not None), 1),
            "how": "reads and writes both through the log; lease read = one client round "
                   "trip (model)"}


def chubby_comparison(seed: int = 0, *, count: int = 30, n: int = 5,
                      network: Network | None = None) -> list[dict[str, Any]]:
    """Rows for a table: Chubby's figures, then the lab's Multi-Paxos and Raft, measured."""
    network = network or DEFAULT_NETWORK

    def paxos() -> tuple[Simulation, str]:
        sim = multipaxos_sim(n, seed=seed, network=network, invariants=False, trace=False)
        return sim, wait_for_leader(sim)

    def raft() -> tuple[Simulation, str]:
        sim = raft_cluster(n, seed=seed, network=network, invariants=False, trace=False)
        return sim, check_one_leader(sim).node_id

    return [dict(CHUBBY), _measure("Multi-Paxos", paxos, count, network, n),
            _measure("Raft", raft, count, network, n)]
