"""Log replication, commitment, apply and snapshots for :class:`RaftNode` (§5.3, §5.4, §7).

Leader side: ``broadcast_append`` sends every follower the entries from its
``next_index`` on (or a snapshot when those entries are compacted), and
moves ``next_index`` forward optimistically, so each entry is sent to each
follower about once. A rejection carries the fast-backup hint and the
leader jumps ``next_index`` back a whole term at a time (one entry at a
time with ``fast_backup=False``). After a rejection the follower is
*probing* (etcd's probe state): ``next_index`` stays put until a success,
heartbeats repeat the same probe, and a rejection of any other index is
stale and ignored — otherwise every pipelined or duplicated rejection would
back up again and undo progress.

Follower side: ``handle_append_entries`` is the AppendEntries receiver of
Figure 2: consistency check on ``prev_log_index``/``prev_log_term``,
truncate at the first conflicting entry, append what is new, follow the
leader's commit index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kv import KVStore
from ..sim import ClientRequest, Context
from .config import RaftConfig
from .log import RaftLog
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
)


class ReplicationMixin:
    """AppendEntries / InstallSnapshot on both sides, commit and apply.

    Mixed into :class:`~.node.RaftNode`; the declarations below are what it
    needs from that class (its state, and four of its methods).
    """

    node_id: str
    peers: tuple[str, ...]
    config: RaftConfig
    current_term: int
    log: RaftLog
    snapshot_data: Any
    commit_index: int
    last_applied: int
    leader_id: str | None
    store: KVStore
    applied: list[tuple[int, int, Any]]
    pending: dict[int, tuple[ClientRequest, int]]
    next_index: dict[str, int]
    match_index: dict[str, int]
    probing: set[str]

    if TYPE_CHECKING:  # defined by RaftNode; declared here for the type checker only
        def persist_log(self, ctx: Context) -> None: ...
        def persist_log_if_dirty(self, ctx: Context) -> None: ...
        def quorum(self) -> int: ...
        def reset_election_timer(self, ctx: Context) -> None: ...

    # ------------------------------------------------------------ leader
    def broadcast_append(self, ctx: Context) -> None:
        """Send each follower what it is missing (a heartbeat if nothing)."""
        for peer in self.peers:
            self.send_append(ctx, peer)

    def send_append(self, ctx: Context, peer: str) -> None:
        """AppendEntries from ``next_index[peer]``, or InstallSnapshot if compacted."""
        self.persist_log_if_dirty(ctx)  # persist before any send that depends on it
        next_index = self.next_index[peer]
        if next_index <= self.log.snapshot_index:
            ctx.send(peer, InstallSnapshot(
                term=self.current_term, leader_id=self.node_id,
                last_included_index=self.log.snapshot_index,
                last_included_term=self.log.snapshot_term, data=self.snapshot_data))
            return
        prev = next_index - 1
        entries = self.log.slice_from(next_index, self.config.max_entries_per_message)
        ctx.send(peer, AppendEntries(
            term=self.current_term, leader_id=self.node_id, prev_log_index=prev,
            prev_log_term=self.log.term_at(prev) or 0, entries=entries,
            leader_commit=self.commit_index))
        if peer not in self.probing:
            self.next_index[peer] = next_index + len(entries)  # optimistic pipelining

    def handle_append_reply(self, ctx: Context, src: str,
                            msg: AppendEntriesReply) -> None:
        """Success: advance match/next and maybe commit. Failure: back up (§5.3)."""
        if msg.success:
            if msg.match_index > self.match_index[src]:
                self.match_index[src] = msg.match_index
                self.advance_commit(ctx)
            if msg.match_index + 1 >= self.next_index[src]:
                self.probing.discard(src)  # the probe matched: pipeline again
            self.next_index[src] = max(self.next_index[src], msg.match_index + 1)
            if self.next_index[src] <= self.log.last_index:
                self.send_append(ctx, src)
            return
        stale = msg.rejected_index <= self.match_index[src] or (
            src in self.probing and msg.rejected_index != self.next_index[src] - 1)
        if stale:
            return  # answers a message sent before what we know now
        self.probing.add(src)
        self.next_index[src] = max(self.match_index[src] + 1, self.backed_up_index(src, msg))
        self.send_append(ctx, src)

    def backed_up_index(self, src: str, msg: AppendEntriesReply) -> int:
        """Where to retry after a rejection: a whole term back with the hint."""
        if not self.config.fast_backup:
            return msg.rejected_index  # Figure 2: "decrement nextIndex and retry"
        if msg.conflict_term:
            last = self.log.last_index_of_term(msg.conflict_term)
            if last is not None:
                return last + 1
        return msg.conflict_index

    def handle_snapshot_reply(self, ctx: Context, src: str,
                              msg: InstallSnapshotReply) -> None:
        """The follower has our snapshot: continue with the entries after it."""
        self.match_index[src] = max(self.match_index[src], msg.match_index)
        self.next_index[src] = max(self.next_index[src], msg.match_index + 1)
        self.probing.discard(src)
        self.advance_commit(ctx)
        if self.next_index[src] <= self.log.last_index:
            self.send_append(ctx, src)

    def advance_commit(self, ctx: Context) -> None:
        """Commit the highest N held by a majority — if log[N] is of our term (§5.4.2).

        N is the quorum-th largest of the match indexes (ours is our last
        index). If log[N] is of an older term nothing commits now: terms only
        grow along a log, so no entry of our term lies below N either.
        """
        self.persist_log_if_dirty(ctx)  # we count ourselves only with the entries on disk
        matched = sorted([self.log.last_index, *self.match_index.values()], reverse=True)
        n = matched[self.quorum() - 1]
        if n <= self.commit_index:
            return
        if self.config.commit_current_term_only and self.log.term_at(n) != self.current_term:
            return
        self.commit_index = n
        self.apply_committed(ctx)

    # ------------------------------------------------------------ follower
    def handle_append_entries(self, ctx: Context, src: str,
                              msg: AppendEntries) -> None:
        """AppendEntries receiver implementation (Figure 2)."""
        if msg.term < self.current_term:
            ctx.send(src, AppendEntriesReply(term=self.current_term, success=False))
            return
        self.leader_id = src
        self.reset_election_timer(ctx)
        prev, prev_term, entries = msg.prev_log_index, msg.prev_log_term, msg.entries
        if prev < self.log.snapshot_index:  # the prefix is in our snapshot: committed, equal
            entries = entries[self.log.snapshot_index - prev:]
            prev, prev_term = self.log.snapshot_index, self.log.snapshot_term
        rejection = self.consistency_check(prev, prev_term)
        if rejection is not None:
            ctx.send(src, rejection)
            return
        if self.merge_entries(prev, entries):
            self.persist_log(ctx)
        last_new = msg.prev_log_index + len(msg.entries)  # "index of last new entry"
        if min(msg.leader_commit, last_new) > self.commit_index:
            self.commit_index = min(msg.leader_commit, last_new)
            self.apply_committed(ctx)
        ctx.send(src, AppendEntriesReply(term=self.current_term, success=True,
                                         match_index=max(last_new, self.log.snapshot_index)))

    def consistency_check(self, prev: int, prev_term: int) -> AppendEntriesReply | None:
        """None when our log has ``prev_term`` at ``prev``; else a rejection with the hint."""
        ours = self.log.term_at(prev)
        if ours == prev_term:
            return None
        if ours is None:  # our log is too short
            return AppendEntriesReply(term=self.current_term, success=False, conflict_term=0,
                                      conflict_index=self.log.last_index + 1,
                                      rejected_index=prev)
        return AppendEntriesReply(term=self.current_term, success=False, conflict_term=ours,
                                  conflict_index=self.log.first_index_of_term(prev),
                                  rejected_index=prev)

    def merge_entries(self, prev: int, entries: tuple[Any, ...]) -> bool:
        """Truncate at the first conflict, append the rest; True if the log changed."""
        if not entries:
            return False
        if prev == self.log.last_index:  # the common case: new entries at our end
            self.log.entries.extend(entries)
            return True
        if self.log.term_at(prev + len(entries)) == entries[-1].term:
            return False  # same index and term as our entry: Log Matching says we have it all
        for offset, entry in enumerate(entries):
            index = prev + 1 + offset
            ours = self.log.term_at(index)
            if ours == entry.term:
                continue  # already have it (a duplicate or reordered message)
            if ours is not None:
                self.log.truncate_from(index)
                self.drop_pending_from(index)
            for rest in entries[offset:]:
                self.log.append(rest)
            return True
        return False

    def handle_install_snapshot(self, ctx: Context, src: str,
                                msg: InstallSnapshot) -> None:
        """InstallSnapshot receiver (§7): replace the covered prefix of our log."""
        if msg.term < self.current_term:
            ctx.send(src, InstallSnapshotReply(term=self.current_term, match_index=0))
            return
        self.leader_id = src
        self.reset_election_timer(ctx)
        index, term = msg.last_included_index, msg.last_included_term
        if index > self.commit_index:
            if self.log.last_index >= index and self.log.term_at(index) == term:
                self.log.compact(index, term)  # keep the entries after the snapshot
            else:
                self.log.reset(index, term)  # "discard the entire log"
            self.snapshot_data = msg.data
            self.store = type(self.store).restore(msg.data)
            self.commit_index = self.last_applied = index
            ctx.persist("snapshot", msg.data, immutable=True)
            self.persist_log(ctx)
            ctx.note(f"installed snapshot up to {term}/{index}")
        # Everything up to our commit index is committed, so it matches the leader.
        ctx.send(src, InstallSnapshotReply(term=self.current_term, match_index=self.commit_index))

    # ------------------------------------------------------------ apply
    def apply_committed(self, ctx: Context) -> None:
        """Apply every committed, unapplied entry in index order; answer clients."""
        while self.last_applied < self.commit_index:
            self.last_applied += 1
            entry = self.log.entry(self.last_applied)
            result = self.store.apply(entry.command)
            if self.config.keep_applied:
                self.applied.append((self.last_applied, entry.term, entry.command))
            waiting = self.pending.pop(self.last_applied, None)
            if waiting is not None:
                request, term = waiting
                ctx.reply(request, result if term == entry.term else "lost", ok=term == entry.term)
        self.maybe_snapshot(ctx)

    def drop_pending_from(self, index: int) -> None:
        """Client commands at ``index`` and after were overwritten: they never happen."""
        for lost in [i for i in self.pending if i >= index]:
            del self.pending[lost]  # the client times out; its command was not applied

    def maybe_snapshot(self, ctx: Context) -> None:
        """Compact the log once ``snapshot_threshold`` applied entries pile up (§7)."""
        threshold = self.config.snapshot_threshold
        if threshold is None or self.last_applied - self.log.snapshot_index < threshold:
            return
        term = self.log.term_at(self.last_applied) or 0
        self.snapshot_data = self.store.snapshot()
        self.log.compact(self.last_applied, term)
        ctx.persist("snapshot", self.snapshot_data, immutable=True)
        self.persist_log(ctx)
