"""Multi-Paxos after "Paxos Made Moderately Complex" (van Renesse & Altinbuken).

Each server (:class:`MultiPaxosServer`, ids ``n1…``) runs a
:class:`MultiPaxosProtocol`: a pure step function over a
:class:`MultiPaxosState` holding a replica (:class:`ReplicaState`: slots,
decisions, the key-value store), a leader (:class:`LeaderState`, with a
:class:`Scout` for phase 1 and a :class:`Commander` per slot for phase 2)
and an acceptor (:class:`AcceptorState`). :func:`multipaxos_sim` builds a
cluster with the invariants installed; :func:`messages_per_command`
measures the cost per committed command.
"""

from .acceptor import AcceptorState
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
from .leader import NOOP, Commander, LeaderState, Scout
from .messages import CatchUp, Decision, Decisions, Heartbeat, P1a, P1b, P2a, P2b, Propose
from .pmap import PMap
from .replica import ReplicaState
from .server import MultiPaxosConfig, MultiPaxosProtocol, MultiPaxosServer, MultiPaxosState, Submit
from .store import StoreValue

__all__ = [
    "AcceptorState", "CatchUp", "Commander", "DEFAULT_NETWORK", "Decision", "Decisions",
    "Heartbeat", "LeaderState", "MultiPaxosConfig", "MultiPaxosInvariants",
    "MultiPaxosProtocol", "MultiPaxosServer", "MultiPaxosState", "NOOP", "P1a", "P1b", "P2a",
    "P2b", "PMap", "Propose", "ReplicaState", "Scout", "StoreValue", "Submit", "leader_of",
    "multipaxos_sim", "performed", "run_until_answered", "servers", "wait_for_leader",
]
