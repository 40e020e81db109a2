"""Raft (Ongaro & Ousterhout 2014): election, replication, safety, snapshots.

Raft as a pure step function (:class:`RaftProtocol` over an immutable
:class:`RaftState`, its decisions in a :class:`RaftRules` value), the
:class:`RaftNode` that runs it in the simulator, the paper's messages, the
five safety properties as simulator invariants, and helpers to build and
drive a cluster (:mod:`.cluster`).
"""

from ..kv import Command, KVStore
from .cluster import (
    DEFAULT_NETWORK,
    check_one_leader,
    connected,
    leaders,
    n_committed,
    one,
    raft_cluster,
    raft_nodes,
    submit,
    terms_agree,
)
from .config import RaftConfig
from .invariants import RaftInvariants
from .log import CompactedError, Log, RaftLog
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
    LogEntry,
    RequestVote,
    RequestVoteReply,
)
from .node import RaftNode
from .protocol import RaftProtocol
from .rules import RaftRules
from .state import CANDIDATE, FOLLOWER, LEADER, RaftState, Submit
from .store import KVValue

__all__ = [
    "AppendEntries", "AppendEntriesReply", "CANDIDATE", "Command", "CompactedError",
    "DEFAULT_NETWORK", "FOLLOWER", "InstallSnapshot", "InstallSnapshotReply", "KVStore",
    "KVValue", "LEADER", "Log", "LogEntry", "RaftConfig", "RaftInvariants", "RaftLog",
    "RaftNode", "RaftProtocol", "RaftRules", "RaftState", "RequestVote", "RequestVoteReply",
    "Submit", "check_one_leader", "connected", "leaders",
    "n_committed", "one", "raft_cluster", "raft_nodes", "submit", "terms_agree",
]
