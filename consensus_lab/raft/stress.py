"""Randomized fault runs for Raft: the seed sweep behind ``consensus-lab stress raft``.

One run = one seed. A nemesis driven by the seed partitions, crashes,
restarts, pauses and skews the clocks of a five-node cluster on a network
that drops, duplicates and reorders, while clients keep submitting commands.
The five safety invariants are checked after every event. At the end every
fault is healed and one last command must commit on every node (liveness
after the storm). A failure raises with the seed, so
``consensus-lab stress raft --seed N`` replays it exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..sim import Network, Simulation
from .cluster import check_one_leader, leaders, one, raft_cluster
from .config import RaftConfig

STORM_NETWORK = Network(latency=(1, 15), drop=0.05, duplicate=0.02, reorder=0.05,
                        reorder_delay=100)
ACTIONS = ("partition", "heal", "crash", "restart", "pause", "resume", "skew", "calm")


@dataclass(frozen=True, slots=True)
class StressResult:
    """What one seed's run did."""

    seed: int
    steps: int
    sim_time: int
    faults: int
    committed: int
    digest: str


def _nemesis(sim: Simulation, rng: random.Random) -> str:
    """Apply one random fault (or none); returns what was done."""
    ids = list(sim.node_ids)
    action: str = rng.choice(ACTIONS)
    up = [n for n in ids if n not in sim.crashed and n not in sim.paused]
    if action == "partition":
        sim.heal()
        sim.partition(rng.sample(ids, rng.randint(1, len(ids) // 2)))
    elif action == "heal":
        sim.heal()
    elif action == "crash" and len(up) > 1:
        sim.crash(rng.choice(up))
    elif action == "restart" and sim.crashed:
        sim.restart(rng.choice(sorted(sim.crashed)))
    elif action == "pause" and len(up) > 1:
        sim.pause(rng.choice(up))
    elif action == "resume" and sim.paused:
        sim.resume(rng.choice(sorted(sim.paused)))
    elif action == "skew":
        sim.set_clock(rng.choice(ids), skew=rng.randint(-500, 500),
                      drift_ppm=rng.choice((-50_000, 0, 50_000)))
    else:
        return "calm"
    return action


def _target(sim: Simulation, rng: random.Random) -> str:
    """Where a client sends: the node it heard leads (a leader it can see), else anyone."""
    known = [n.node_id for n in leaders(sim) if n.node_id not in sim.paused]
    return known[0] if known and rng.random() < 0.8 else rng.choice(sim.node_ids)


def _heal_everything(sim: Simulation) -> None:
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    for node in sorted(sim.paused):
        sim.resume(node)
    sim.set_network(STORM_NETWORK.with_defaults(drop=0.0, duplicate=0.0, reorder=0.0))


def storm(seed: int, *, nodes: int = 5, rounds: int = 15, round_ms: int = 150,
          config: RaftConfig | None = None, trace: bool = True) -> StressResult:
    """One randomized run; raises InvariantViolation or SimulationError on failure."""
    config = config or RaftConfig(snapshot_threshold=20)
    sim = raft_cluster(nodes, seed=seed, network=STORM_NETWORK, config=config, trace=trace)
    rng = sim.rng("nemesis")
    faults = 0
    for round_no in range(rounds):
        faults += _nemesis(sim, rng) != "calm"
        for k in range(3):
            sim.submit(_target(sim, rng), "put", key=f"k{k}",
                       value=f"{round_no}.{k}", client=f"c{k}", timeout=400)
        sim.run(until=sim.now + round_ms)
    _heal_everything(sim)
    check_one_leader(sim, within=10_000)
    one(sim, ("final", seed), expected=nodes, within=20_000)
    committed = sum(1 for op in sim.history if op.type == "ok")
    return StressResult(seed, sim.steps, sim.now, faults, committed, sim.trace.digest())
