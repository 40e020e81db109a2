"""Paxos: single-decree (Paxos Made Simple) and Multi-Paxos (Paxos Made Moderately Complex).

Single-decree Paxos runs three roles as separate nodes whose ids name the
role: acceptors ``a1…`` (:class:`Acceptor`), proposers ``p1…``
(:class:`Proposer`) and learners ``l1…`` (:class:`Learner`).
:func:`paxos_sim` builds a cluster; :data:`VARIANTS` names the correct
protocol and the buggy ones; :func:`agreement`, :func:`validity` and
:func:`decided` are the consensus properties; :func:`duel` and
:func:`backoff_rows` make the FLP result visible.

Multi-Paxos lives in :mod:`consensus_lab.paxos.multi` (servers that each
run a Replica, a Leader with its Scouts and Commanders, and an Acceptor).
"""

from .acceptor import Acceptor
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
from .learner import Learner
from .messages import Accept, Accepted, Nack, Prepare, Promise, Query
from .multi import MultiPaxosConfig, MultiPaxosServer, multipaxos_sim
from .multi.scenarios import messages_per_command
from .proposer import ACCEPTING, DONE, IDLE, PREPARING, TRANSITIONS, WAITING, Proposer
from .scenarios import DuelResult, backoff_rows, duel

__all__ = [
    "ACCEPTING", "Accept", "Accepted", "Acceptor", "Ballot", "ChosenRecord", "DEFAULT_BACKOFF",
    "DEFAULT_NETWORK", "DONE", "DuelResult", "IDLE", "Learner", "MultiPaxosConfig",
    "MultiPaxosServer", "Nack", "PREPARING", "PaxosConfig", "PaxosFactory", "PaxosInvariants",
    "Prepare", "Promise", "Proposer", "Query", "TRANSITIONS", "VARIANTS", "WAITING",
    "acceptors_of", "agreement", "backoff_rows", "chosen_record", "chosen_values",
    "config_for", "decided", "duel", "highest_round", "install_invariants", "learned",
    "learners_of", "majority", "messages_per_command", "multipaxos_sim", "paxos_ids",
    "paxos_sim", "proposers_of", "role_of", "validity",
]
