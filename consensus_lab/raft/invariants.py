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
"""

from __future__ import annotations

from typing import Any

from ..sim import Simulation
from .log import RaftLog
from .node import LEADER, RaftNode


def _entries(log: RaftLog) -> dict[int, tuple[int, Any]]:
    """Index -> (term, command) for the entries after the snapshot."""
    base = log.snapshot_index
    return {base + 1 + i: (e.term, e.command) for i, e in enumerate(log.entries)}


class RaftInvariants:
    """The five properties, with the memory each one needs."""

    def __init__(self) -> None:
        self.leader_of_term: dict[int, str] = {}
        self.leader_logs: dict[tuple[str, int], tuple[Any, ...]] = {}
        self.committed: dict[int, tuple[int, Any, int]] = {}  # index -> (term, cmd, commit term)
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
        for node in self._nodes(sim):
            if node.role != LEADER:
                continue
            key = (node.node_id, node.current_term)
            now = (node.log.snapshot_index, node.log.as_tuple())
            before = self.leader_logs.get(key)
            if before is not None and not _extends(before, now):
                return f"leader {node.node_id} of term {node.current_term} changed its own log"
            self.leader_logs[key] = now
        return None

    def log_matching(self, sim: Simulation) -> str | None:
        """Same index and term ⇒ same entries up to there (§5.3)."""
        logs = [(n.node_id, _entries(n.log)) for n in self._nodes(sim)]
        for i, (a_id, a) in enumerate(logs):
            for b_id, b in logs[i + 1:]:
                common = [k for k in a if k in b and a[k][0] == b[k][0]]
                if not common:
                    continue
                top = max(common)
                for k in range(top, 0, -1):
                    if k in a and k in b and a[k] != b[k]:
                        return (f"{a_id} and {b_id} agree on the term at index {top} but "
                                f"differ at index {k}: {a[k]} vs {b[k]}")
        return None

    def leader_completeness(self, sim: Simulation) -> str | None:
        """An entry committed in term T is in the log of every leader of a term > T (§5.4).

        The term in which an entry was committed is taken as the term of the
        first node seen holding it as committed: a leader elected before the
        commit (a stale leader of an older term) need not have it.
        """
        nodes = self._nodes(sim)
        for node in nodes:
            entries = _entries(node.log)
            for index in range(node.log.snapshot_index + 1, node.commit_index + 1):
                if index not in self.committed:
                    self.committed[index] = (*entries[index], node.current_term)
        for node in nodes:
            if node.role != LEADER:
                continue
            entries = _entries(node.log)
            for index, (term, command, committed_in) in self.committed.items():
                later = committed_in < node.current_term and index > node.log.snapshot_index
                if later and entries.get(index) != (term, command):
                    return (f"entry {index} (term {term}) was committed in term {committed_in} "
                            f"but leader {node.node_id} of term {node.current_term} lacks it")
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


def _extends(before: tuple[int, tuple[Any, ...]], now: tuple[int, tuple[Any, ...]]) -> bool:
    """True when log ``now`` keeps every entry of ``before`` (snapshots may compact)."""
    (b_snap, b_entries), (n_snap, n_entries) = before, now
    shift = n_snap - b_snap
    if shift < 0:
        return False
    kept = b_entries[shift:]
    return n_entries[:len(kept)] == kept
