"""Raft's safety properties (Figure 3 of the paper), checked after every event.

* Election Safety: at most one leader per term.
* Leader Append-Only: a leader never overwrites or deletes its own entries.
* Log Matching: two logs with an entry of the same index and term are
  identical up to that index.
* Leader Completeness: a committed entry is in the log of every later leader.
* State Machine Safety: no two servers apply different commands at one index.

:class:`RaftInvariants` keeps what it has seen (leaders per term, committed
entries, applied commands) across the whole run, so a property is checked
against history, not only against the present state.

Theory of operation: the checks run after every event, so each one looks
only at what changed since the last look. A :class:`_LogWatch` per node
incarnation remembers the log value, its ``rewrites`` count and its last
entry; while those hold, the log only grew at its end and only the new
entries need checking. Log Matching is checked through a registry of every
``(index, term)`` ever seen, with its command and the term of the entry
before it: two logs holding ``(index, term)`` agree on everything up to
``index`` exactly when every such pair has one command and one predecessor
term (induction on the index). An entry's commit term is the term of the
node that first showed it committed — the leader that committed it, since
the check runs after every event — and Leader Completeness concerns the
leaders of *later* terms only (a deposed leader of an earlier term may
still believe it leads, and rightly lacks the entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import Simulation
from .log import Log
from .messages import LogEntry
from .node import RaftNode
from .state import LEADER


@dataclass(slots=True)
class _LogWatch:
    """What a node's log looked like at the last check."""

    log: Log
    rewrites: int
    snapshot_index: int
    last_index: int
    last_entry: LogEntry | None

    @classmethod
    def of(cls, log: Log) -> _LogWatch:
        return cls(log, log.rewrites, log.snapshot_index, log.last_index,
                   log.entries[-1] if log.entries else None)

    def appended_from(self, log: Log) -> int:
        """The first index that may differ from last time (only appends: last + 1)."""
        if log is self.log:
            return self.last_index + 1
        unchanged = (log.rewrites == self.rewrites
                     and log.snapshot_index == self.snapshot_index
                     and log.last_index >= self.last_index
                     and (self.last_entry is None
                          or log.entries[self.last_index - log.snapshot_index - 1]
                          is self.last_entry))
        return self.last_index + 1 if unchanged else log.snapshot_index + 1


class RaftInvariants:
    """The five properties, with the memory each one needs."""

    def __init__(self) -> None:
        self.leader_of_term: dict[int, str] = {}
        # leader append-only: (node, term) -> a copy of its log while it leads
        self.leader_logs: dict[tuple[str, int], _Mirror] = {}
        # log matching: (index, term) -> (command, term of the entry before)
        self.entry_ids: dict[tuple[int, int], tuple[Any, int]] = {}
        self.watches: dict[tuple[str, int], _LogWatch] = {}
        # leader completeness
        self.committed: dict[int, tuple[int, Any]] = {}  # index -> (term, command)
        self.commit_term: dict[int, int] = {}  # index -> term in which it was committed
        self.commit_order: list[int] = []
        self.commit_seen: dict[tuple[str, int], int] = {}
        self.leader_checked: dict[tuple[str, int], int] = {}  # position in commit_order
        # state machine safety
        self.applied: dict[int, tuple[str, Any]] = {}
        self.seen_applied: dict[tuple[str, int], int] = {}

    def install(self, sim: Simulation) -> RaftInvariants:
        """Register every property on ``sim``; returns self."""
        sim.add_invariant("election safety", self.election_safety)
        sim.add_invariant("leader append-only", self.leader_append_only)
        sim.add_invariant("log matching", self.log_matching)
        sim.add_invariant("leader completeness", self.leader_completeness)
        sim.add_invariant("state machine safety", self.state_machine_safety)
        return self

    @staticmethod
    def _nodes(sim: Simulation) -> list[RaftNode]:
        return [n for n in sim.nodes.values() if isinstance(n, RaftNode)]

    def election_safety(self, sim: Simulation) -> str | None:
        """At most one leader per term, over the whole run (§5.2)."""
        for node in self._nodes(sim):
            if node.role == LEADER:
                first = self.leader_of_term.setdefault(node.current_term, node.node_id)
                if first != node.node_id:
                    return f"term {node.current_term} has two leaders: {first} and {node.node_id}"
        return None

    def leader_append_only(self, sim: Simulation) -> str | None:
        """A leader's log only grows while it leads its term (§5.3)."""
        leading = set()
        for node in self._nodes(sim):
            if node.role != LEADER:
                continue
            key = (node.node_id, node.current_term)
            leading.add(key)
            before = self.leader_logs.get(key)
            if before is not None and not before.kept_by(node.log):
                return f"leader {node.node_id} of term {node.current_term} changed its own log"
            if before is not None and before.only_grew(node.log):
                before.entries.extend(node.log.entries[len(before.entries):])
                before.log = node.log
            else:
                self.leader_logs[key] = _Mirror.of(node.log)
        for key in [k for k in self.leader_logs if k not in leading]:
            del self.leader_logs[key]  # a node never leads the same term twice
        return None

    def _appended_from(self, sim: Simulation, node: RaftNode) -> int:
        """First index of ``node``'s log to check again; updates its watch."""
        key = (node.node_id, sim.incarnation(node.node_id))
        watch = self.watches.get(key)
        start = node.log.snapshot_index + 1 if watch is None else watch.appended_from(node.log)
        self.watches[key] = _LogWatch.of(node.log)
        return start

    def log_matching(self, sim: Simulation) -> str | None:
        """Same index and term ⇒ same entries up to there (§5.3)."""
        for node in self._nodes(sim):
            log = node.log
            start = self._appended_from(sim, node)
            prev_term = log.term_at(start - 1) or 0
            for index in range(start, log.last_index + 1):
                entry = log.entries[index - log.snapshot_index - 1]
                seen = self.entry_ids.setdefault((index, entry.term), (entry.command, prev_term))
                if seen != (entry.command, prev_term):
                    return (f"{node.node_id} holds entry {index} of term {entry.term} as "
                            f"{entry.command!r} after term {prev_term}, but another log had "
                            f"{seen[0]!r} after term {seen[1]}")
                prev_term = entry.term
        return None

    def leader_completeness(self, sim: Simulation) -> str | None:
        """Every committed entry is in every later leader's log (§5.4)."""
        nodes = self._nodes(sim)
        for node in nodes:
            problem = self._record_commits(sim, node)
            if problem:
                return problem
        for node in nodes:
            if node.role != LEADER:
                continue
            key = (node.node_id, node.current_term)
            log = node.log
            for index in self.commit_order[self.leader_checked.get(key, 0):]:
                if self.commit_term[index] >= node.current_term or index <= log.snapshot_index:
                    continue
                term, command = self.committed[index]
                ours = log.entry(index) if index <= log.last_index else None
                if ours is None or (ours.term, ours.command) != (term, command):
                    return (f"entry {index} (term {term}) was committed in term "
                            f"{self.commit_term[index]} but leader {node.node_id} of term "
                            f"{node.current_term} lacks it")
            self.leader_checked[key] = len(self.commit_order)
        return None

    def _record_commits(self, sim: Simulation, node: RaftNode) -> str | None:
        """Remember the entries ``node`` newly shows as committed."""
        log = node.log
        if node.commit_index > log.last_index:
            return (f"{node.node_id} has commit_index {node.commit_index} beyond its last "
                    f"entry {log.last_index}")
        key = (node.node_id, sim.incarnation(node.node_id))
        start = max(self.commit_seen.get(key, 0), log.snapshot_index) + 1
        for index in range(start, node.commit_index + 1):
            entry = log.entries[index - log.snapshot_index - 1]
            now = (entry.term, entry.command)
            first = self.committed.setdefault(index, now)
            if first is now:
                self.commit_term[index] = node.current_term
                self.commit_order.append(index)
            elif first != now:
                return (f"index {index} was committed as {first} but {node.node_id} "
                        f"commits {now} there")
        self.commit_seen[key] = max(self.commit_seen.get(key, 0), node.commit_index)
        return None

    def state_machine_safety(self, sim: Simulation) -> str | None:
        """No two servers apply different commands at the same index (§5.4.3)."""
        for node in self._nodes(sim):
            key = (node.node_id, sim.incarnation(node.node_id))
            start = self.seen_applied.get(key, 0)
            for index, term, command in node.applied[start:]:
                first = self.applied.setdefault(index, (node.node_id, (term, command)))
                if first[1] != (term, command):
                    return (f"index {index}: {first[0]} applied {first[1]} but "
                            f"{node.node_id} applied {(term, command)}")
            self.seen_applied[key] = len(node.applied)
        return None


@dataclass(slots=True)
class _Mirror:
    """A leader's log as it was at the last check (entries are shared, not copied)."""

    log: Log
    rewrites: int
    snapshot_index: int
    entries: list[LogEntry]

    @classmethod
    def of(cls, log: Log) -> _Mirror:
        return cls(log, log.rewrites, log.snapshot_index, list(log.entries))

    def only_grew(self, log: Log) -> bool:
        """Nothing removed or replaced since (the same ``rewrites`` count and last entry)."""
        return log is self.log or (
            log.rewrites == self.rewrites and log.snapshot_index == self.snapshot_index
            and len(log.entries) >= len(self.entries)
            and (not self.entries or log.entries[len(self.entries) - 1] is self.entries[-1]))

    def kept_by(self, log: Log) -> bool:
        """True when ``log`` keeps every entry seen before (compaction may hide some)."""
        if self.only_grew(log):
            return True
        shift = log.snapshot_index - self.snapshot_index
        if shift < 0 or log.last_index < self.snapshot_index + len(self.entries):
            return False
        if shift >= len(self.entries):
            return True
        return list(log.entries[:len(self.entries) - shift]) == self.entries[shift:]
