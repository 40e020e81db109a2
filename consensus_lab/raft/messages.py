"""Raft's messages, named as in Figure 2 of the paper (Ongaro & Ousterhout 2014).

Every message carries the sender's ``term``: a receiver that sees a higher
term steps down to follower first (§5.1, "Rules for Servers: All Servers").
Messages are frozen, so a message in flight can never change under the
network's feet.
"""

from __future__ import annotations

from typing import Any

from ..sim.step import Value, frozen


@frozen(kw_only=True)
class LogEntry(Value):
    """One log entry: the ``term`` in which the leader received ``command`` (§5.3)."""

    term: int
    command: Any

    def __str__(self) -> str:
        return f"{self.term}:{self.command}"


@frozen(kw_only=True)
class RequestVote(Value):
    """candidate → every peer, election (§5.2): "vote for me in ``term``".

    ``last_log_index`` / ``last_log_term`` let the voter apply the election
    restriction (§5.4.1): vote only for a log at least as up to date as its own.
    """

    term: int
    candidate_id: str
    last_log_index: int
    last_log_term: int

    def __str__(self) -> str:
        return f"Vote?(t={self.term} last={self.last_log_term}/{self.last_log_index})"


@frozen(kw_only=True)
class RequestVoteReply(Value):
    """voter → candidate, election (§5.2): whether the vote was granted."""

    term: int
    vote_granted: bool

    def __str__(self) -> str:
        return f"Vote(t={self.term} {'yes' if self.vote_granted else 'no'})"


@frozen(kw_only=True)
class AppendEntries(Value):
    """leader → follower, replication and heartbeat (§5.3).

    Carries the ``entries`` that follow ``prev_log_index`` (whose term must
    be ``prev_log_term`` at the follower: the consistency check) and the
    leader's ``leader_commit``. An empty ``entries`` is a heartbeat.
    """

    term: int
    leader_id: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple[LogEntry, ...]
    leader_commit: int

    def __str__(self) -> str:
        return (f"App(t={self.term} prev={self.prev_log_term}/{self.prev_log_index} "
                f"n={len(self.entries)} c={self.leader_commit})")


@frozen(kw_only=True)
class AppendEntriesReply(Value):
    """follower → leader, replication (§5.3).

    On success ``match_index`` is the last index known to match the leader.
    On failure the fast-backup hint (§5.3, the "optimization" paragraph; MIT
    6.5840's XTerm/XIndex/XLen): ``conflict_term`` is the term of the
    follower's entry at ``prev_log_index`` (0 if it has none there),
    ``conflict_index`` the first index of that term in its log, or its log
    length + 1 when the log is too short. ``rejected_index`` is the
    ``prev_log_index`` that failed the check (etcd's rejected ``Index``): it
    lets the leader back up one entry without the hint (Figure 2's
    "decrement nextIndex") and recognise a stale rejection.
    """

    term: int
    success: bool
    match_index: int = 0
    conflict_term: int = 0
    conflict_index: int = 0
    rejected_index: int = 0

    def __str__(self) -> str:
        if self.success:
            return f"AppOK(t={self.term} match={self.match_index})"
        return f"AppNo(t={self.term} x={self.conflict_term}/{self.conflict_index})"


@frozen(kw_only=True)
class InstallSnapshot(Value):
    """leader → follower that is behind the leader's snapshot (§7).

    Replaces the follower's log up to ``last_included_index`` with the state
    machine ``data`` (sent whole, not in chunks: the lab's snapshots are small).
    """

    term: int
    leader_id: str
    last_included_index: int
    last_included_term: int
    data: Any

    def __str__(self) -> str:
        return f"Snap(t={self.term} upto={self.last_included_term}/{self.last_included_index})"


@frozen(kw_only=True)
class InstallSnapshotReply(Value):
    """follower → leader (§7): the snapshot is installed up to ``match_index``."""

    term: int
    match_index: int

    def __str__(self) -> str:
        return f"SnapOK(t={self.term} match={self.match_index})"
