"""Multi-Paxos after "Paxos Made Moderately Complex" (van Renesse & Altinbuken).

Each server (:class:`MultiPaxosServer`, ids ``n1…``) runs a
:class:`Replica` (slots, decisions, the key-value store), a :class:`Leader`
(with a :class:`Scout` for phase 1 and a :class:`Commander` per slot for
phase 2) and an :class:`Acceptor`. :func:`multipaxos_sim` builds a cluster
with the invariants installed; :func:`messages_per_command` measures the
cost per committed command.
"""

from .acceptor import Acceptor
from .cluster import (
    DEFAULT_NETWORK,
    leader_of,
    multipaxos_sim,
    performed,
    run_until_answered,
    servers,
    wait_for_leader,
)
from .invariants import MultiPaxosInvariants
from .leader import NOOP, Commander, Leader, Scout
from .messages import CatchUp, Decision, Decisions, Heartbeat, P1a, P1b, P2a, P2b, Propose
from .replica import Replica
from .server import MultiPaxosConfig, MultiPaxosServer

__all__ = [
    "Acceptor", "CatchUp", "Commander", "DEFAULT_NETWORK", "Decision", "Decisions",
    "Heartbeat", "Leader", "MultiPaxosConfig", "MultiPaxosInvariants", "MultiPaxosServer",
    "NOOP", "P1a", "P1b", "P2a", "P2b", "Propose", "Replica", "Scout", "leader_of",
    "multipaxos_sim", "performed", "run_until_answered", "servers", "wait_for_leader",
]
