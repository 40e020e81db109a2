"""Helpers to build and drive a Raft cluster in the simulator (tests, notebooks, CLI).

They mirror the MIT 6.5840 test harness: ``check_one_leader``,
``n_committed``, ``one`` (submit a command and wait until enough servers
have applied it), but in virtual time, so a "two second" wait costs
microseconds and replays exactly from the seed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from functools import partial
from typing import Any

from ..sim import Network, Simulation, SimulationError
from .config import RaftConfig
from .invariants import RaftInvariants
from .node import LEADER, RaftNode

#: The chapter's network: a few ms per message, no faults unless asked for.
DEFAULT_NETWORK = Network(latency=(2, 10))


def raft_cluster(nodes: int | Iterable[str] = 3, *, seed: int = 0,
                 network: Network | None = None, config: RaftConfig | None = None,
                 invariants: bool = True, trace: bool = True) -> Simulation:
    """A simulation of Raft nodes, with the safety invariants checked on every event."""
    factory = partial(RaftNode, config=config or RaftConfig())
    sim = Simulation(factory, nodes, seed=seed, network=network or DEFAULT_NETWORK,
                     trace=trace)
    if invariants:
        RaftInvariants().install(sim)
    return sim


def raft_nodes(sim: Simulation) -> dict[str, RaftNode]:
    """The live (not crashed) Raft nodes by id."""
    return {i: n for i, n in sim.nodes.items() if isinstance(n, RaftNode)}


def leaders(sim: Simulation) -> list[RaftNode]:
    """Every live node that believes it leads, highest term first (paused ones too)."""
    found = [n for n in raft_nodes(sim).values() if n.role == LEADER]
    return sorted(found, key=lambda n: -n.current_term)


def connected(sim: Simulation) -> list[str]:
    """Nodes that are up, not paused, and not cut from a majority of the others."""
    up = [i for i in sim.node_ids if i not in sim.crashed and i not in sim.paused]
    majority = len(sim.node_ids) // 2 + 1
    return [i for i in up
            if 1 + sum(1 for j in up if j != i and not sim.network.is_blocked(i, j)
                       and not sim.network.is_blocked(j, i)) >= majority]


def check_one_leader(sim: Simulation, within: int = 5_000) -> RaftNode:
    """Run until exactly one leader holds the highest term among reachable nodes."""
    deadline = sim.now + within
    while sim.now < deadline:
        sim.run(until=min(deadline, sim.now + 100))
        by_term: dict[int, list[RaftNode]] = {}
        for node in leaders(sim):
            if node.node_id in connected(sim):
                by_term.setdefault(node.current_term, []).append(node)
        if by_term:
            top = max(by_term)
            if len(by_term[top]) > 1:
                raise SimulationError(f"term {top} has two leaders: {by_term[top]}")
            return by_term[top][0]
    raise SimulationError(f"no leader elected by t={sim.now} (seed {sim.seed})")


def terms_agree(sim: Simulation) -> int:
    """The one term every live node has; raises if they disagree."""
    terms = {n.current_term for n in raft_nodes(sim).values()}
    if len(terms) != 1:
        raise SimulationError(f"servers disagree on the term: {sorted(terms)}")
    return terms.pop()


def n_committed(sim: Simulation, index: int) -> tuple[int, Any]:
    """How many live nodes have applied ``index``, and the command there (must agree).

    A command compacted into a snapshot is read from the node's ``applied``
    record (6.5840's harness remembers what each applyCh delivered), so
    ``one`` still recognises its command right after a snapshot covers it.
    """
    count, seen = 0, []
    for node in raft_nodes(sim).values():
        if node.last_applied < index:
            continue
        count += 1
        if node.log.snapshot_index < index:
            seen.append(node.log.entry(index).command)
        else:  # ``applied`` is sorted by index, with gaps where a snapshot was installed
            at = bisect_left(node.applied, (index,))
            if at < len(node.applied) and node.applied[at][0] == index:
                seen.append(node.applied[at][2])
    if any(command != seen[0] for command in seen):
        raise SimulationError(f"index {index} holds different commands: {seen!r}")
    return count, (seen[0] if seen else None)


def submit(sim: Simulation, command: Any, node: str | None = None) -> tuple[int, int, bool]:
    """Call ``submit`` (6.5840's Start) on ``node``, or on the current leader."""
    if node is None:
        found = [n for n in leaders(sim) if n.node_id in connected(sim)]
        if not found:
            return -1, 0, False
        node = found[0].node_id
    if not isinstance(sim.nodes[node], RaftNode):
        return -1, 0, False
    result: tuple[int, int, bool] = sim.call(node, "submit", command)  # recorded: replays
    return result


def one(sim: Simulation, command: Any, expected: int, retry: bool = True,
        within: int = 10_000) -> int:
    """Agree on ``command``: submit to a leader until ``expected`` nodes applied it.

    Returns its index; raises :class:`SimulationError` after ``within`` ms.
    """
    deadline = sim.now + within
    while sim.now < deadline:
        index, _, ok = submit(sim, command)
        if ok:
            wait_until = min(deadline, sim.now + 2_000)
            while sim.now < wait_until:
                sim.run(until=sim.now + 20)
                count, got = n_committed(sim, index)
                if count >= expected and got == command:
                    return index
            if not retry:
                break
        else:
            sim.run(until=sim.now + 50)
    raise SimulationError(f"one({command!r}) failed to reach agreement on {expected} nodes "
                          f"by t={sim.now} (seed {sim.seed})")
