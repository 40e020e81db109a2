"""Raft throughput: committed commands per wall-clock second (``consensus-lab bench raft``).

Five nodes over a network that drops and duplicates 1% of the messages,
tracing and invariants off; a client submits ``batch`` commands to the
leader every 5 ms until ``commands`` were accepted, then the run goes on
until every node committed them. Benchmarks report figures; tests never
assert times.
"""

from __future__ import annotations

import time

from ..kv import Command
from ..sim import Network
from .cluster import check_one_leader, leaders, raft_cluster, raft_nodes
from .config import RaftConfig

MAX_COMMANDS = 1_000_000
MAX_BATCH = 10_000


def bench_raft(commands: int, batch: int, seed: int = 1) -> dict[str, float]:
    """One run: commands committed (on every node) and submitted, seconds, events."""
    for name, value, high in (("commands", commands, MAX_COMMANDS), ("batch", batch, MAX_BATCH)):
        if not isinstance(value, int) or not 1 <= value <= high:
            raise ValueError(f"{name} must be an int from 1 to {high}, got {value!r}")
    network = Network(latency=(1, 5), drop=0.01, duplicate=0.01)
    config = RaftConfig(keep_applied=False, max_entries_per_message=256,
                        snapshot_threshold=5_000)
    sim = raft_cluster(5, seed=seed, network=network, config=config, invariants=False,
                       trace=False)
    check_one_leader(sim)
    start_steps, start = sim.steps, time.perf_counter()
    submitted = 0
    while submitted < commands:
        found = leaders(sim)
        if not found:
            sim.run(until=sim.now + 300)
            continue
        leader = found[0].node_id
        for _ in range(batch):  # a client library would batch the same way
            command = Command(client="bench", seq=submitted + 1, op="put", key=submitted,
                              value=submitted)
            submitted += sim.call(leader, "submit", command)[2]
        sim.run(until=sim.now + 5)
    target = max(n.log.last_index for n in leaders(sim))
    sim.run(until=lambda s: min(n.commit_index for n in raft_nodes(s).values()) >= target,
            max_steps=5_000_000)
    elapsed = time.perf_counter() - start
    committed = min(len(n.store.data) for n in raft_nodes(sim).values())
    return {"commands": committed, "submitted": submitted, "seconds": elapsed,
            "events": sim.steps - start_steps}
