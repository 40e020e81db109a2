"""Multi-Paxos throughput: committed commands per wall-clock second (``bench paxos``).

``nodes`` servers over a network that drops and duplicates 1% of the
messages, tracing and invariants off; ``batch`` commands are submitted to the
leader every 5 ms, then the run goes on until every replica performed them.
Benchmarks report figures; tests never assert times.
"""

from __future__ import annotations

import time

from ..kv import Command
from ..sim import Network
from .multi.cluster import multipaxos_sim, servers, wait_for_leader
from .multi.server import MultiPaxosConfig

MAX_COMMANDS = 1_000_000
MAX_NODES = 15
MAX_BATCH = 10_000


def bench_paxos(commands: int, nodes: int, batch: int, seed: int = 1) -> dict[str, float]:
    """One run: commands committed, seconds, events, messages sent."""
    for name, value, high in (("commands", commands, MAX_COMMANDS), ("nodes", nodes, MAX_NODES),
                              ("batch", batch, MAX_BATCH)):
        if not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"{name} must be an int from 1 to {high}, got {value!r}")
    network = Network(latency=(1, 5), drop=0.01, duplicate=0.01)
    sim = multipaxos_sim(nodes, seed=seed, network=network, invariants=False, trace=False,
                         config=MultiPaxosConfig(window=4 * batch))
    leader = wait_for_leader(sim)
    sent0, steps0, start = sim.stats["sent"], sim.steps, time.perf_counter()
    for first in range(0, commands, batch):
        for i in range(first, min(commands, first + batch)):
            sim.call(leader, "submit", Command(client=f"b{i}", seq=1, op="put", key=i, value=i))
        sim.run(until=sim.now + 5)
    sim.run(until=lambda s: min(srv.replica.slot_out for srv in servers(s)) > commands,
            max_steps=5_000_000)
    elapsed = time.perf_counter() - start
    committed = min(srv.replica.slot_out for srv in servers(sim)) - 1
    return {"committed": committed, "seconds": elapsed, "events": sim.steps - steps0,
            "messages": sim.stats["sent"] - sent0}
