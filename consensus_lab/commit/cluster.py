"""Build a commit protocol's cluster in the simulator.

Node ids name the role: ``c1`` the coordinator (``c1 c2 c3`` the replicas
of a replicated coordinator), ``p1 … pN`` the participants. One factory
(:class:`CommitFactory`) builds the right node for each id, for one of
:data:`PROTOCOLS`; :meth:`CommitFactory.protocol_for` (and
:func:`commit_protocols`) gives the pure step protocol of each id, for
code that runs the protocols without node objects.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ..sim import ConfigError, Network, Node, Simulation
from ..sim.step import StepNode, StepProtocol
from .config import CommitConfig, config_for
from .invariants import CommitMonitor
from .replicated import CoordinatorReplica
from .threepc import ThreePCCoordinator, ThreePCParticipant
from .twopc import Coordinator, Participant

#: protocol name -> one line.
PROTOCOLS: dict[str, str] = {
    "2pc": "two-phase commit, one coordinator, presumed abort",
    "3pc": "three-phase commit with the termination protocol (Skeen 1981)",
    "replicated": "2PC whose decision is chosen by Paxos among 3 coordinator replicas",
}

#: The chapter's network: a few ms per message, no faults unless asked for.
DEFAULT_NETWORK = Network(latency=(2, 10))


def commit_ids(protocol: str = "2pc", participants: int = 3) -> tuple[str, ...]:
    """``("c1", "p1", …)`` (three coordinators when replicated)."""
    check_protocol(protocol)
    if not isinstance(participants, int) or isinstance(participants, bool) or not (
            1 <= participants <= 9):
        raise ConfigError(f"participants must be an int from 1 to 9, got {participants!r}")
    coordinators = 3 if protocol == "replicated" else 1
    return (tuple(f"c{i}" for i in range(1, coordinators + 1))
            + tuple(f"p{i}" for i in range(1, participants + 1)))


def check_protocol(protocol: str) -> str:
    """``protocol`` if known; else a ConfigError naming the allowed ones."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown commit protocol {protocol!r}; choose one of: "
                          f"{', '.join(PROTOCOLS)}")
    return protocol


class CommitFactory:
    """Builds the coordinator(s) and participants of one protocol, sharing one config."""

    def __init__(self, protocol: str, config: CommitConfig, no_voters: Collection[str] = (),
                 abort_after: Mapping[str, int] | None = None) -> None:
        self.protocol = check_protocol(protocol)
        self.config = config
        self.no_voters = frozenset(no_voters)
        self.abort_after = dict(abort_after or {})

    def protocol_for(self, node_id: str) -> StepProtocol[Any]:
        """The step protocol node ``node_id`` runs (what the node built here carries)."""
        node = self(node_id, ())
        assert isinstance(node, StepNode)
        protocol: StepProtocol[Any] = node.protocol
        return protocol

    def __call__(self, node_id: str, peers: tuple[str, ...]) -> Node:
        yes = node_id not in self.no_voters
        if node_id.startswith("c"):
            if self.protocol == "3pc":
                return ThreePCCoordinator(node_id, peers, self.config)
            if self.protocol == "replicated":
                return CoordinatorReplica(node_id, peers, self.config)
            return Coordinator(node_id, peers, self.config)
        if self.protocol == "3pc":
            return ThreePCParticipant(node_id, peers, self.config, vote_yes=yes)
        return Participant(node_id, peers, self.config, vote_yes=yes,
                           abort_after=self.abort_after.get(node_id))


def commit_protocols(protocol: str = "2pc", participants: int = 3, *,
                     variant: str = "correct", no_voters: Collection[str] = (),
                     abort_after: Mapping[str, int] | None = None,
                     config: CommitConfig | None = None) -> dict[str, StepProtocol[Any]]:
    """Node id -> the step protocol it runs, for the cluster :func:`commit_sim` builds.

    Start each with ``start(node_id, peers, stored)`` where ``peers`` are
    the other ids of :func:`commit_ids`.
    """
    factory = CommitFactory(protocol, config or config_for(variant), no_voters, abort_after)
    return {i: factory.protocol_for(i) for i in commit_ids(protocol, participants)}


def commit_sim(protocol: str = "2pc", participants: int = 3, *, variant: str = "correct",
               seed: int = 0, network: Network | None = None, no_voters: Collection[str] = (),
               abort_after: Mapping[str, int] | None = None, config: CommitConfig | None = None,
               trace: bool = True, invariants: bool = True, blocking: bool = False,
               ) -> Simulation:
    """A cluster running transaction ``T1`` from t=0.

    ``no_voters`` vote No; ``abort_after`` maps a participant to when it
    aborts on its own if no Prepare came first. ``variant`` is one of
    :data:`~.config.VARIANTS` (the 2PC rules it changes also apply to the
    replicated protocol's participants). Atomicity is checked after every
    event unless ``invariants=False``; ``blocking=True`` also checks that
    no participant is blocked.
    """
    ids = commit_ids(protocol, participants)
    unknown = sorted(set(no_voters) | set(abort_after or {}))
    unknown = [p for p in unknown if p not in ids or not p.startswith("p")]
    if unknown:
        raise ConfigError(f"no such participant(s) {unknown}; participants: "
                          f"{', '.join(i for i in ids if i.startswith('p'))}")
    factory = CommitFactory(protocol, config or config_for(variant), no_voters, abort_after)
    sim = Simulation(factory, ids, seed=seed, network=network or DEFAULT_NETWORK, trace=trace)
    if invariants:
        CommitMonitor().install(sim, blocking=blocking)
    return sim
