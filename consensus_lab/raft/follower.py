"""The follower's side of replication, applying, and snapshots (§5.3, §7, §8).

``handle_append_entries`` is the AppendEntries receiver of Figure 2:
consistency check on ``prev_log_index``/``prev_log_term``, truncate at the
first conflicting entry, append what is new, follow the leader's commit
index — with the log persisted before the success reply leaves.
``apply_committed`` applies committed entries in index order and answers
the clients waiting for them; ``maybe_snapshot`` compacts the log (§7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..sim.step import Effect, Note, Persist, Reply, Send
from . import paper
from .config import RaftConfig
from .log import Log
from .messages import AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply
from .rules import RaftRules
from .state import RaftState, evolve

Out = list[Effect]


def first_difference(old: Log, new: Log) -> int:
    """The first index at which ``new`` no longer holds ``old``'s entry."""
    start = old.snapshot_index + 1
    for offset, (a, b) in enumerate(zip(old.entries, new.entries, strict=False)):
        if a is not b:
            return start + offset
    return start + min(len(old.entries), len(new.entries))


class FollowerSteps:
    """The follower half of :class:`~.protocol.RaftProtocol`, and applying."""

    config: RaftConfig
    rules: RaftRules

    if TYPE_CHECKING:  # defined by the other halves and the protocol
        def reset_election_timer(self, out: Out, rule: str = ...) -> None: ...
        def persist_log(self, s: RaftState, out: Out, rule: str = ...) -> RaftState: ...
        def restore_store(self, data: Any) -> Any: ...

    def handle_append_entries(self, s: RaftState, src: str, msg: AppendEntries,
                              out: Out) -> RaftState:
        """AppendEntries receiver implementation (Figure 2)."""
        if msg.term < s.current_term:
            out.append(Send(src, AppendEntriesReply(term=s.current_term, success=False),
                            paper.STALE_TERM_REJECT))
            return s
        if s.leader_id != src:
            s = evolve(s, leader_id=src)
        self.reset_election_timer(out, paper.LEADER_RESETS_TIMER)
        prev, prev_term, entries = msg.prev_log_index, msg.prev_log_term, msg.entries
        snap = s.log.snapshot_index
        if prev < snap:  # the prefix is in our snapshot: committed, equal
            entries = entries[snap - prev:]
            prev, prev_term = snap, s.log.snapshot_term
        ok, conflict_term, conflict_index = self.rules.consistency_check(s, prev, prev_term)
        if not ok:
            out.append(Send(src, AppendEntriesReply(
                term=s.current_term, success=False, conflict_term=conflict_term,
                conflict_index=conflict_index, rejected_index=prev), paper.CONSISTENCY_REJECT))
            return s
        log, changed = self.rules.merge_entries(s, prev, entries)
        if log.rewrites != s.log.rewrites:  # entries were removed: their clients lose
            s = self.drop_pending_from(s, first_difference(s.log, log))
        if changed:
            s = self.persist_log(evolve(s, log=log), out)
        last_new = msg.prev_log_index + len(msg.entries)  # "index of last new entry"
        if min(msg.leader_commit, last_new) > s.commit_index:
            s = self.apply_committed(evolve(s, commit_index=min(msg.leader_commit, last_new)),
                                     out)
        out.append(Send(src, AppendEntriesReply(
            term=s.current_term, success=True,
            match_index=max(last_new, s.log.snapshot_index)), paper.APPEND_OK))
        return s

    def handle_install_snapshot(self, s: RaftState, src: str, msg: InstallSnapshot,
                                out: Out) -> RaftState:
        """InstallSnapshot receiver (§7): replace the covered prefix of our log."""
        if msg.term < s.current_term:
            out.append(Send(src, InstallSnapshotReply(term=s.current_term, match_index=0),
                            paper.STALE_TERM_REJECT))
            return s
        s = evolve(s, leader_id=src)
        self.reset_election_timer(out, paper.LEADER_RESETS_TIMER)
        index, term = msg.last_included_index, msg.last_included_term
        if index > s.commit_index:
            log = s.log
            if log.last_index >= index and log.term_at(index) == term:
                log = log.compacted(index, term)  # keep the entries after the snapshot
            else:
                log = log.reset_to(index, term)  # "discard the entire log"
            s = evolve(s, log=log, snapshot_data=msg.data, store=self.restore_store(msg.data),
                        commit_index=index, last_applied=index)
            out.append(Persist("snapshot", msg.data, paper.SNAPSHOT_SAVE))
            s = self.persist_log(s, out, paper.SNAPSHOT_SAVE)
            out.append(Note(f"installed snapshot up to {term}/{index}", paper.SNAPSHOT_SAVE))
        # Everything up to our commit index is committed, so it matches the leader.
        out.append(Send(src, InstallSnapshotReply(term=s.current_term,
                                                  match_index=s.commit_index),
                        paper.SNAPSHOT_REPLY))
        return s

    # ------------------------------------------------------------ apply
    def apply_committed(self, s: RaftState, out: Out) -> RaftState:
        """Apply every committed, unapplied entry in index order; answer clients."""
        store, applied, pending = s.store, list(s.applied), s.pending
        first = s.last_applied + 1
        for index, entry in enumerate(s.log.between(first, s.commit_index), first):
            store, result = self.apply_command(store, entry.command)
            if self.config.keep_applied:
                applied.append((index, entry.term, entry.command))
            while pending and pending[0][0] <= index:
                at, request, term = pending[0]
                pending = pending[1:]
                if at == index:
                    ok = term == entry.term
                    out.append(Reply(request, result if ok else "lost", ok,
                                     paper.COMMITTED_REPLY if ok else paper.LOST_REPLY))
        s = evolve(s, store=store, last_applied=s.commit_index, pending=pending,
                    applied=tuple(applied) if self.config.keep_applied else s.applied)
        return self.maybe_snapshot(s, out)

    def apply_command(self, store: Any, command: Any) -> tuple[Any, Any]:
        """The state machine: (store after ``command``, its result)."""
        result: tuple[Any, Any] = store.apply(command)
        return result

    def drop_pending_from(self, s: RaftState, index: int) -> RaftState:
        """Client commands at ``index`` and after were overwritten: they never happen."""
        kept = tuple(p for p in s.pending if p[0] < index)
        return s if len(kept) == len(s.pending) else evolve(s, pending=kept)

    def maybe_snapshot(self, s: RaftState, out: Out) -> RaftState:
        """Compact the log once ``snapshot_threshold`` applied entries pile up (§7)."""
        threshold = self.config.snapshot_threshold
        if threshold is None or s.last_applied - s.log.snapshot_index < threshold:
            return s
        term = s.log.term_at(s.last_applied) or 0
        data = s.store.snapshot()
        s = evolve(s, snapshot_data=data, log=s.log.compacted(s.last_applied, term))
        out.append(Persist("snapshot", data, paper.SNAPSHOT_TAKE))
        return self.persist_log(s, out, paper.SNAPSHOT_TAKE)
