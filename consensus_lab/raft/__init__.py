"""Raft (Ongaro & Ousterhout 2014): election, replication, safety, snapshots.

A sans-I/O :class:`RaftNode` driving a replicated :class:`KVStore`, the
paper's messages, the five safety properties as simulator invariants, and
helpers to build and drive a cluster (:mod:`.cluster`).
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
from .log import CompactedError, RaftLog
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
    LogEntry,
    RequestVote,
    RequestVoteReply,
)
from .node import CANDIDATE, FOLLOWER, LEADER, RaftNode

__all__ = [
    "AppendEntries", "AppendEntriesReply", "CANDIDATE", "Command", "CompactedError",
    "DEFAULT_NETWORK", "FOLLOWER", "InstallSnapshot", "InstallSnapshotReply", "KVStore",
    "LEADER", "LogEntry", "RaftConfig", "RaftInvariants", "RaftLog", "RaftNode",
    "RequestVote", "RequestVoteReply", "check_one_leader", "connected", "leaders",
    "n_committed", "one", "raft_cluster", "raft_nodes", "submit", "terms_agree",
]
