"""Paxos: single-decree (Paxos Made Simple) and Multi-Paxos (Paxos Made Moderately Complex).

Single-decree Paxos runs three roles as separate nodes whose ids name the
role: acceptors ``a1…`` (:class:`Acceptor`), proposers ``p1…``
(:class:`Proposer`) and learners ``l1…`` (:class:`Learner`). Each role is a
pure step protocol over a frozen state (:class:`AcceptorProtocol` over
:class:`AcceptorState`, …; :func:`paxos_protocols` builds one per role for
a cluster) run in the simulator by those node classes.
:func:`paxos_sim` builds a cluster; :data:`VARIANTS` names the correct
protocol and the buggy ones; :func:`agreement`, :func:`validity` and
:func:`decided` are the consensus properties; :func:`duel` and
:func:`backoff_rows` make the FLP result visible.

Multi-Paxos lives in :mod:`consensus_lab.paxos.multi` (servers that each
run a Replica, a Leader with its Scouts and Commanders, and an Acceptor).
"""

from .acceptor import Acceptor, AcceptorProtocol, AcceptorState
from .ballot import Ballot
from .cluster import (
    DEFAULT_NETWORK,
    PaxosFactory,
    acceptors_of,
    highest_round,
    learned,
    learners_of,
    paxos_ids,
    paxos_sim,
    proposers_of,
)
from .config import DEFAULT_BACKOFF, VARIANTS, PaxosConfig, config_for, majority, role_of
from .invariants import (
    ChosenRecord,
    PaxosInvariants,
    agreement,
    chosen_record,
    chosen_values,
    decided,
    install_invariants,
    validity,
)
from .learner import Learner, LearnerProtocol, LearnerState
from .messages import Accept, Accepted, Nack, Prepare, Promise, Query
from .multi import MultiPaxosConfig, MultiPaxosServer, multipaxos_sim
from .multi.scenarios import messages_per_command
from .proposer import (
    ACCEPTING,
    DONE,
    IDLE,
    PREPARING,
    TRANSITIONS,
    WAITING,
    Proposer,
    ProposerProtocol,
    ProposerState,
)
from .protocols import PaxosProtocols, paxos_protocols, variant_protocols
from .scenarios import DuelResult, backoff_rows, duel

__all__ = [
    "ACCEPTING", "Accept", "Accepted", "Acceptor", "AcceptorProtocol", "AcceptorState",
    "Ballot", "ChosenRecord", "DEFAULT_BACKOFF", "DEFAULT_NETWORK", "DONE", "DuelResult",
    "IDLE", "Learner", "LearnerProtocol", "LearnerState", "MultiPaxosConfig",
    "MultiPaxosServer", "Nack", "PREPARING", "PaxosConfig", "PaxosFactory", "PaxosInvariants",
    "PaxosProtocols", "Prepare", "Promise", "Proposer", "ProposerProtocol", "ProposerState",
    "Query", "TRANSITIONS", "VARIANTS", "WAITING", "acceptors_of", "agreement", "backoff_rows",
    "chosen_record", "chosen_values", "config_for", "decided", "duel", "highest_round",
    "install_invariants", "learned", "learners_of", "majority", "messages_per_command",
    "multipaxos_sim", "paxos_ids", "paxos_protocols", "paxos_sim", "proposers_of", "role_of",
    "validity", "variant_protocols",
]
