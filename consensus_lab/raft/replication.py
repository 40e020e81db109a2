"""The leader's side of log replication and commitment (§5.3, §5.4.2, §7).

``broadcast_append`` sends every follower the entries from its
``next_index`` on (or a snapshot when those entries are compacted), and
moves ``next_index`` forward optimistically, so each entry is sent to each
follower about once. A rejection carries the fast-backup hint and the
leader jumps ``next_index`` back a whole term at a time (one entry at a
time with ``fast_backup=False``). After a rejection the follower is
*probing* (etcd's probe state): ``next_index`` stays put until a success,
heartbeats repeat the same probe, and a rejection of any other index is
stale and ignored — otherwise every pipelined or duplicated rejection would
back up again and undo progress.

Entries the leader appends are persisted once per batch, before the first
send that carries them and before the leader counts itself towards a
majority (``persist_log_if_dirty``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sim.step import Effect, Persist, Send
from . import paper
from .config import RaftConfig
from .messages import AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply
from .rules import RaftRules
from .state import RaftState, evolve, get, put

Out = list[Effect]


class ReplicationSteps:
    """The leader half of replication in :class:`~.protocol.RaftProtocol`."""

    config: RaftConfig
    rules: RaftRules

    if TYPE_CHECKING:  # defined by the follower half
        def apply_committed(self, s: RaftState, out: Out) -> RaftState: ...

    # ------------------------------------------------------------ persistence
    def persist_log(self, s: RaftState, out: Out, rule: str = paper.PERSIST_LOG) -> RaftState:
        """Save the log after the snapshot (entries are frozen: no copy needed)."""
        out.append(Persist("log", s.log.entries, rule))
        out.append(Persist("snapshot_meta", (s.log.snapshot_index, s.log.snapshot_term), rule))
        return evolve(s, log_dirty=False) if s.log_dirty else s

    def persist_log_if_dirty(self, s: RaftState, out: Out) -> RaftState:
        """Persist entries the leader appended since its last write (one write per batch)."""
        return self.persist_log(s, out) if s.log_dirty else s

    # ------------------------------------------------------------ sending
    def broadcast_append(self, s: RaftState, out: Out) -> RaftState:
        """Send each follower what it is missing (a heartbeat if nothing)."""
        s = self.persist_log_if_dirty(s, out)  # persist before any send that depends on it
        moved = {}
        for peer, next_index in s.next_index:
            sent = self.append_for(s, peer, next_index, out)
            if sent != next_index:
                moved[peer] = sent
        if moved:
            s = evolve(s, next_index=tuple((p, moved.get(p, i)) for p, i in s.next_index))
        return s

    def send_append(self, s: RaftState, peer: str, out: Out) -> RaftState:
        """AppendEntries from ``next_index[peer]``, or InstallSnapshot if compacted."""
        s = self.persist_log_if_dirty(s, out)  # persist before any send that depends on it
        next_index = get(s.next_index, peer)
        sent = self.append_for(s, peer, next_index, out)
        return s if sent == next_index else evolve(s, next_index=put(s.next_index, peer, sent))

    def append_for(self, s: RaftState, peer: str, next_index: int, out: Out) -> int:
        """Send ``peer`` the message for ``next_index``; the next index to use after it
        (moved forward optimistically past the entries sent, unless probing)."""
        log = s.log
        if next_index <= log.snapshot_index:
            out.append(Send(peer, InstallSnapshot(
                term=s.current_term, leader_id=s.node_id,
                last_included_index=log.snapshot_index,
                last_included_term=log.snapshot_term, data=s.snapshot_data),
                paper.SNAPSHOT_SEND))
            return next_index
        prev = next_index - 1
        entries = log.slice_from(next_index, self.config.max_entries_per_message)
        out.append(Send(peer, AppendEntries(
            term=s.current_term, leader_id=s.node_id, prev_log_index=prev,
            prev_log_term=log.term_at(prev) or 0, entries=entries,
            leader_commit=s.commit_index), paper.APPEND if entries else paper.HEARTBEAT))
        if entries and peer not in s.probing:  # optimistic pipelining
            return next_index + len(entries)
        return next_index

    # ------------------------------------------------------------ replies
    def handle_append_reply(self, s: RaftState, src: str, msg: AppendEntriesReply,
                            out: Out) -> RaftState:
        """Success: advance match/next and maybe commit. Failure: back up (§5.3)."""
        match = get(s.match_index, src)
        if msg.success:
            if msg.match_index > match:
                s = evolve(s, match_index=put(s.match_index, src, msg.match_index))
                s = self.advance_commit(s, out)
            next_index = get(s.next_index, src)
            if msg.match_index + 1 >= next_index and src in s.probing:
                s = evolve(s, probing=s.probing - {src})  # the probe matched: pipeline again
            if msg.match_index + 1 > next_index:
                s = evolve(s, next_index=put(s.next_index, src, msg.match_index + 1))
            if get(s.next_index, src) <= s.log.last_index:
                s = self.send_append(s, src, out)
            return s
        stale = msg.rejected_index <= match or (
            src in s.probing and msg.rejected_index != get(s.next_index, src) - 1)
        if stale:
            return s  # answers a message sent before what we know now
        retry = max(match + 1, self.backed_up_index(s, msg))
        s = evolve(s, probing=s.probing | {src}, next_index=put(s.next_index, src, retry))
        return self.send_append(s, src, out)

    def backed_up_index(self, s: RaftState, msg: AppendEntriesReply) -> int:
        """Where to retry after a rejection: a whole term back with the hint."""
        if not self.config.fast_backup:
            return msg.rejected_index  # Figure 2: "decrement nextIndex and retry"
        if msg.conflict_term:
            last = s.log.last_index_of_term(msg.conflict_term)
            if last is not None:
                return last + 1
        return msg.conflict_index

    def handle_snapshot_reply(self, s: RaftState, src: str, msg: InstallSnapshotReply,
                              out: Out) -> RaftState:
        """The follower has our snapshot: continue with the entries after it."""
        s = evolve(s, match_index=put(s.match_index, src,
                                       max(get(s.match_index, src), msg.match_index)),
                    next_index=put(s.next_index, src,
                                   max(get(s.next_index, src), msg.match_index + 1)),
                    probing=s.probing - {src})
        s = self.advance_commit(s, out)
        if get(s.next_index, src) <= s.log.last_index:
            s = self.send_append(s, src, out)
        return s

    def advance_commit(self, s: RaftState, out: Out) -> RaftState:
        """Move the commit index by the commit rule (§5.3, §5.4.2), then apply."""
        s = self.persist_log_if_dirty(s, out)  # we count ourselves only with entries on disk
        n = self.rules.commit_index(s)
        if n <= s.commit_index:
            return s
        return self.apply_committed(evolve(s, commit_index=n), out)
