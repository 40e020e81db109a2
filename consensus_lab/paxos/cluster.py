"""Build a single-decree Paxos cluster in the simulator, and look into it.

Node ids name their role by their first letter: ``a1…`` acceptors,
``p1…`` proposers, ``l1…`` learners (:func:`~.config.role_of`); one
factory builds the right role for each id. Every proposer wants its own
value (``"v-p1"`` unless ``values`` says otherwise) and sends its first
``Prepare`` at start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..sim import ConfigError, Network, Node, Simulation
from .acceptor import Acceptor
from .config import ACCEPTOR, LEARNER, PROPOSER, PaxosConfig, config_for, role_of
from .invariants import install_invariants
from .learner import Learner
from .proposer import Proposer
from .protocols import PaxosProtocols, paxos_protocols

#: The chapter's network: a few ms per message, no faults unless asked for.
DEFAULT_NETWORK = Network(latency=(2, 10))


def paxos_ids(acceptors: int = 3, proposers: int = 2, learners: int = 1) -> tuple[str, ...]:
    """``("a1", …, "p1", …, "l1", …)``; at least one acceptor and one proposer."""
    for name, count, least in (("acceptors", acceptors, 1), ("proposers", proposers, 1),
                               ("learners", learners, 0)):
        if not isinstance(count, int) or isinstance(count, bool) or count < least:
            raise ConfigError(f"{name} must be an int >= {least}, got {count!r}")
    return (tuple(f"a{i}" for i in range(1, acceptors + 1))
            + tuple(f"p{i}" for i in range(1, proposers + 1))
            + tuple(f"l{i}" for i in range(1, learners + 1)))


class PaxosFactory:
    """Builds the node of the role an id names; all nodes share one protocol per role.

    The protocols are built on the first call, from the cluster's ids (the
    first node's id and peers): see :func:`~.protocols.paxos_protocols`.
    """

    def __init__(self, config: PaxosConfig, values: Mapping[str, Any]) -> None:
        self.config = config
        self.values = dict(values)
        self._protocols: PaxosProtocols | None = None

    def protocols(self, node_ids: tuple[str, ...]) -> PaxosProtocols:
        """The three role protocols for a cluster of ``node_ids`` (built once)."""
        if self._protocols is None or self._protocols.ids != tuple(sorted(node_ids)):
            self._protocols = paxos_protocols(self.config, node_ids, self.values)
        return self._protocols

    def __call__(self, node_id: str, peers: tuple[str, ...]) -> Node:
        role = role_of(node_id)
        protocols = self.protocols((node_id, *peers))
        if role == ACCEPTOR:
            return Acceptor(node_id, peers, self.config, protocols.acceptor)
        if role == PROPOSER:
            return Proposer(node_id, peers, self.config, self.values.get(node_id),
                            protocols.proposer)
        return Learner(node_id, peers, self.config, protocols.learner)


def _values(proposer_ids: tuple[str, ...],
            values: Sequence[Any] | Mapping[str, Any] | None) -> dict[str, Any]:
    if values is None:
        return {p: f"v-{p}" for p in proposer_ids}
    if isinstance(values, Mapping):
        unknown = sorted(set(values) - set(proposer_ids))
        if unknown:
            raise ConfigError(f"values given for unknown proposers {unknown}; "
                              f"proposers: {', '.join(proposer_ids)}")
        return {p: values.get(p, f"v-{p}") for p in proposer_ids}
    values = list(values)
    if len(values) != len(proposer_ids) or any(v is None for v in values):
        raise ConfigError(f"values must give one non-None value per proposer "
                          f"({len(proposer_ids)}), got {values!r}")
    return dict(zip(proposer_ids, values, strict=True))


def paxos_sim(acceptors: int = 3, proposers: int = 2, learners: int = 1, *,
              variant: str = "correct", seed: int = 0, network: Network | None = None,
              backoff: bool | int = True, values: Sequence[Any] | Mapping[str, Any] | None = None,
              trace: bool = True, invariants: bool = True,
              config: PaxosConfig | None = None) -> Simulation:
    """A single-decree Paxos cluster whose proposers start proposing at once.

    ``variant`` is one of :data:`~.config.VARIANTS`; ``backoff`` is True
    (random backoff after a Nack), False (the deterministic duel) or the
    maximum random wait in ticks. ``config`` replaces both (for experiments
    that tune timeouts). Agreement and validity are checked after every
    event unless ``invariants=False``.
    """
    ids = paxos_ids(acceptors, proposers, learners)
    config = config or config_for(variant, backoff=backoff)
    proposer_ids = tuple(i for i in ids if role_of(i) == PROPOSER)
    factory = PaxosFactory(config, _values(proposer_ids, values))
    sim = Simulation(factory, ids, seed=seed, network=network or DEFAULT_NETWORK, trace=trace)
    if invariants:
        install_invariants(sim)
    return sim


def nodes_of(sim: Simulation, role: str) -> list[Any]:
    """The live nodes of ``role`` (acceptor, proposer or learner), in id order."""
    return [sim.nodes[i] for i in sim.node_ids
            if role_of(i) == role and sim.nodes[i] is not None]


def acceptors_of(sim: Simulation) -> list[Acceptor]:
    """The live acceptors."""
    return nodes_of(sim, ACCEPTOR)


def proposers_of(sim: Simulation) -> list[Proposer]:
    """The live proposers."""
    return nodes_of(sim, PROPOSER)


def learners_of(sim: Simulation) -> list[Learner]:
    """The live learners."""
    return nodes_of(sim, LEARNER)


def learned(sim: Simulation) -> dict[str, Any]:
    """Learner id -> the value it learned (only learners that have learned)."""
    return {n.node_id: n.learned for n in learners_of(sim) if n.learned_ballot is not None}


def highest_round(sim: Simulation) -> int:
    """The highest ballot round any live proposer has reached (how hard they fought)."""
    return max((p.max_round for p in proposers_of(sim)), default=0)
