"""Build a Multi-Paxos cluster in the simulator, find its leader, drive clients.

Servers are ``n1…nN``, each a :class:`~.server.MultiPaxosServer`. Clients
reach any server with ``sim.submit(server, "put", key, value)``; the history
records ``invoke`` and ``ok``/``fail``/``info`` as for Raft, ready for
:func:`consensus_lab.consistency.check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from ...sim import Network, Simulation, SimulationError
from .invariants import MultiPaxosInvariants
from .server import MultiPaxosConfig, MultiPaxosServer

#: The chapter's network: a few ms per message, no faults unless asked for.
DEFAULT_NETWORK = Network(latency=(2, 10))


def multipaxos_sim(n: int | Iterable[str] = 3, *, seed: int = 0, network: Network | None = None,
                   config: MultiPaxosConfig | None = None, invariants: bool = True,
                   trace: bool = True) -> Simulation:
    """A Multi-Paxos cluster with agreement per slot, validity and replica consistency
    checked after every event (unless ``invariants=False``)."""
    factory = partial(MultiPaxosServer, config=config or MultiPaxosConfig())
    sim = Simulation(factory, n, seed=seed, network=network or DEFAULT_NETWORK, trace=trace)
    if invariants:
        MultiPaxosInvariants().install(sim)
    return sim


def servers(sim: Simulation) -> list[MultiPaxosServer]:
    """The live servers, in id order."""
    return [n for n in sim.nodes.values() if isinstance(n, MultiPaxosServer)]


def leader_of(sim: Simulation) -> str | None:
    """The live, unpaused active leader with the highest ballot, if any."""
    active = [s for s in servers(sim) if s.leader.active and s.node_id not in sim.paused]
    return max(active, key=lambda s: s.leader.ballot).node_id if active else None


def wait_for_leader(sim: Simulation, within: int = 5_000) -> str:
    """Run until some server leads and the others follow it; returns its id."""
    deadline = sim.now + within

    def settled(s: Simulation) -> bool:
        leader = leader_of(s)
        return leader is not None and all(
            srv.replica.leader_hint == leader for srv in servers(s)
            if srv.node_id not in s.paused)

    sim.run(until=lambda s: settled(s) or s.now >= deadline)
    leader = leader_of(sim)
    if leader is None or not settled(sim):
        raise SimulationError(f"no stable Multi-Paxos leader by t={sim.now} (seed {sim.seed})")
    return leader


def run_until_answered(sim: Simulation, within: int = 5_000) -> None:
    """Run until every client request has its completion (or raise after ``within``)."""
    deadline = sim.now + within
    while sim.history.open_requests() and sim.now < deadline:
        sim.run(until=min(deadline, sim.now + 20))
    still = sim.history.open_requests()
    if still:
        raise SimulationError(f"{len(still)} client requests still open at t={sim.now} "
                              f"(seed {sim.seed}): {still[0]}")


def performed(sim: Simulation, server: str) -> list[tuple[int, object]]:
    """``(slot, command)`` that ``server`` has performed, in slot order."""
    node = sim.nodes[server]
    if not isinstance(node, MultiPaxosServer):
        raise SimulationError(f"{server} is crashed")
    return [(s, node.replica.decisions[s]) for s in range(1, node.replica.slot_out)]
