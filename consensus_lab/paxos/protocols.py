"""The three role protocols of one single-decree Paxos cluster, built once.

A protocol object holds only configuration (the variant's switches, the
timeouts, who the acceptors and learners are, the proposers' own values,
the quorum size), so one object per role serves every node of a run — the
simulator's nodes (:class:`~.cluster.PaxosFactory`) and a value-based model
checker that calls ``start``/``step`` on states directly::

    protocols = paxos_protocols(config_for("forgetful-acceptor", backoff=False),
                                ("a1", "a2", "a3", "p1", "p2"))
    a1, effects = protocols.acceptor.start("a1", (), {})
    a1, effects = protocols.acceptor.step(a1, Deliver("p1", Prepare(ballot=Ballot(1, "p1"))))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .acceptor import AcceptorProtocol
from .config import ACCEPTOR, LEARNER, PaxosConfig, config_for, ids_of
from .learner import LearnerProtocol
from .proposer import ProposerProtocol

__all__ = ["PaxosProtocols", "paxos_protocols", "variant_protocols"]


@dataclass(frozen=True, slots=True)
class PaxosProtocols:
    """One protocol per role for the cluster ``ids`` (sorted)."""

    ids: tuple[str, ...]
    acceptor: AcceptorProtocol
    proposer: ProposerProtocol
    learner: LearnerProtocol

    def for_id(self, node_id: str) -> AcceptorProtocol | ProposerProtocol | LearnerProtocol:
        """The protocol of the role ``node_id`` names."""
        if node_id.startswith("a"):
            return self.acceptor
        return self.proposer if node_id.startswith("p") else self.learner


def paxos_protocols(config: PaxosConfig, node_ids: tuple[str, ...] | list[str],
                    values: Mapping[str, Any] | None = None) -> PaxosProtocols:
    """The role protocols of a cluster of ``node_ids`` running ``config``.

    ``values`` maps proposer ids to their own values (default ``"v-<id>"``).
    """
    ids = tuple(sorted(node_ids))
    return PaxosProtocols(ids, AcceptorProtocol(config, ids_of(LEARNER, ids)),
                          ProposerProtocol(config, ids_of(ACCEPTOR, ids), values),
                          LearnerProtocol(config, ids_of(ACCEPTOR, ids)))


def variant_protocols(variant: str = "correct", acceptors: int = 3, proposers: int = 2,
                      learners: int = 0, *, backoff: bool | int = False,
                      values: Mapping[str, Any] | None = None) -> PaxosProtocols:
    """The protocols of ``variant`` for ``a1…``, ``p1…``, ``l1…`` (the model checker's scene)."""
    ids = (tuple(f"a{i}" for i in range(1, acceptors + 1))
           + tuple(f"p{i}" for i in range(1, proposers + 1))
           + tuple(f"l{i}" for i in range(1, learners + 1)))
    return paxos_protocols(config_for(variant, backoff=backoff), ids, values)
