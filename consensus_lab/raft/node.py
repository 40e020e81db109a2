"""A sans-I/O Raft node, rule for rule after Figure 2 of the Raft paper.

Theory of operation (the structure of etcd-io/raft):

* :meth:`RaftNode.step` applies the rule every role shares — a message with
  a higher term makes us a follower of that term (§5.1) — then hands the
  message to the role's step function (``_step_follower``,
  ``_step_candidate``, ``_step_leader``). ``become_follower``,
  ``become_candidate`` and ``become_leader`` swap that function.
* Persistent state (``current_term``, ``voted_for``, the log and the
  snapshot) is written through ``ctx.persist`` *before* any message that
  depends on it is sent, so a crash can never make a node forget a vote or
  an entry it acknowledged (Figure 2, "Persistent state on all servers").
* Committed entries are applied in order to a :class:`KVStore`; a client
  request waits in ``pending`` until its entry is applied, then is answered.

The switches in :class:`RaftConfig` that say ``# buggy when False`` exist
for the safety notebook and the model checker: turning one off reproduces a
known bug (a committed entry lost; the Figure 8 case).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kv import Command, KVStore
from ..sim import ClientRequest, Context, Node
from .config import RaftConfig
from .log import RaftLog
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
    LogEntry,
    RequestVote,
    RequestVoteReply,
)
from .replication import ReplicationMixin

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"

#: The role state machine of Figure 4 of the paper: (from, event, to). The
#: become_* methods implement exactly these edges; the election notebook
#: draws its diagram from this table (and a test checks the code against it).
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (FOLLOWER, "election timeout: start election", CANDIDATE),
    (CANDIDATE, "election timeout: new election", CANDIDATE),
    (CANDIDATE, "votes from a majority", LEADER),
    (CANDIDATE, "AppendEntries from this term's leader, or a higher term", FOLLOWER),
    (LEADER, "message with a higher term", FOLLOWER),
    (FOLLOWER, "message with a higher term: adopt it", FOLLOWER),
)


class RaftNode(ReplicationMixin, Node):
    """One Raft server with a replicated key-value store."""

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: RaftConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or RaftConfig()
        # Persistent state on all servers (Figure 2).
        self.current_term = 0
        self.voted_for: str | None = None
        self.log = RaftLog()
        self.snapshot_data: Any = None
        # Volatile state on all servers.  Invariant: last_applied <= commit_index <= last_index
        self.commit_index = 0
        self.last_applied = 0
        self.role = FOLLOWER
        self.leader_id: str | None = None
        self.store = KVStore()
        self.applied: list[tuple[int, int, Any]] = []  # (index, term, command) when keep_applied
        self.pending: dict[int, tuple[ClientRequest, int]] = {}  # index -> (request, term)
        self.log_dirty = False  # appended entries not yet persisted (leader, within one moment)
        # Volatile state on candidates and leaders.
        self.votes: set[str] = set()
        self.next_index: dict[str, int] = {}
        self.match_index: dict[str, int] = {}
        self.probing: set[str] = set()  # followers whose last answer was a rejection
        self._step: Callable[[Context, str, Any], None] = self._step_follower

    # ------------------------------------------------------------ life cycle
    def on_start(self, ctx: Context) -> None:
        """Recover persistent state (empty on first boot) and wait for a leader."""
        stored = ctx.stored
        self.current_term = stored.get("current_term", 0)
        self.voted_for = stored.get("voted_for")
        snap_index, snap_term = stored.get("snapshot_meta", (0, 0))
        self.log = RaftLog(stored.get("log", ()), snap_index, snap_term)
        self.snapshot_data = stored.get("snapshot")
        self.store = type(self.store).restore(self.snapshot_data)  # a subclass's store too
        self.commit_index = self.last_applied = snap_index
        self.become_follower(ctx, self.current_term, None)
        self.reset_election_timer(ctx)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Every message goes through :meth:`step`."""
        self.step(ctx, src, msg)

    def on_timer(self, ctx: Context, name: str) -> None:
        """Election timeout: stand for election. Heartbeat: replicate."""
        if name == "election" and self.role != LEADER:
            self.become_candidate(ctx)
        elif name == "heartbeat" and self.role == LEADER:
            self.broadcast_append(ctx)
            ctx.set_timer("heartbeat", self.config.heartbeat_interval)
        elif name == "replicate" and self.role == LEADER:
            self.broadcast_append(ctx)

    def step(self, ctx: Context, src: str, msg: Any) -> None:
        """The rule all servers share (§5.1), then the role's own step function."""
        term = getattr(msg, "term", None)
        if term is None:
            raise TypeError(f"{self.node_id}: Raft got a message without a term: {msg!r}")
        if term > self.current_term:
            leader = src if isinstance(msg, AppendEntries | InstallSnapshot) else None
            self.become_follower(ctx, term, leader)
        if isinstance(msg, RequestVote):
            self.handle_request_vote(ctx, src, msg)
        elif term < self.current_term and isinstance(msg, AppendEntries | InstallSnapshot):
            # Figure 2, in every role: "Reply false if term < currentTerm", so a
            # deposed leader learns the new term even from a candidate or leader.
            self._step_follower(ctx, src, msg)
        else:
            self._step(ctx, src, msg)

    # ------------------------------------------------------------ roles
    def become_follower(self, ctx: Context, term: int, leader: str | None) -> None:
        """Follow ``leader`` (if known) in ``term``.

        The election timer is *not* reset here (a deposed leader, which had
        none, gets one): Figure 2 resets it only on AppendEntries from the
        current leader, on granting a vote and on starting an election.
        Resetting it on every higher term lets candidates that cannot win
        (stale logs) keep the up-to-date servers from ever standing.
        """
        was_leader = self.role == LEADER
        if term != self.current_term:
            self.current_term, self.voted_for = term, None
            self.persist_state(ctx)
        self.role, self.leader_id, self._step = FOLLOWER, leader, self._step_follower
        ctx.cancel_timer("heartbeat")
        if was_leader:
            self.reset_election_timer(ctx)

    def become_candidate(self, ctx: Context) -> None:
        """Start an election: new term, vote for self, ask everyone (§5.2)."""
        self.current_term += 1
        self.voted_for = self.node_id
        self.persist_state(ctx)
        self.role, self.leader_id, self._step = CANDIDATE, None, self._step_candidate
        self.votes = {self.node_id}
        self.reset_election_timer(ctx)
        ctx.note(f"election for term {self.current_term}")
        ctx.broadcast(RequestVote(term=self.current_term, candidate_id=self.node_id,
                                  last_log_index=self.log.last_index,
                                  last_log_term=self.log.last_term))
        self._maybe_win(ctx)

    def become_leader(self, ctx: Context) -> None:
        """Won the election: send heartbeats at once and keep sending them (§5.2)."""
        self.role, self.leader_id, self._step = LEADER, self.node_id, self._step_leader
        self.next_index = dict.fromkeys(self.peers, self.log.last_index + 1)
        self.match_index = dict.fromkeys(self.peers, 0)
        self.probing = set()
        ctx.cancel_timer("election")
        ctx.note(f"leader of term {self.current_term}")
        self.broadcast_append(ctx)
        ctx.set_timer("heartbeat", self.config.heartbeat_interval)

    def reset_election_timer(self, ctx: Context) -> None:
        """A fresh randomized election timeout (§5.2: split votes are rare)."""
        low, high = self.config.election_timeout
        ctx.set_timer("election", ctx.rng.randint(low, high))

    def quorum(self) -> int:
        """How many servers make a majority."""
        return (len(self.peers) + 1) // 2 + 1

    # ------------------------------------------------------------ per-role steps
    def _step_follower(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, AppendEntries):
            self.handle_append_entries(ctx, src, msg)
        elif isinstance(msg, InstallSnapshot):
            self.handle_install_snapshot(ctx, src, msg)
        # replies to an old candidacy or leadership are stale: ignore them

    def _step_candidate(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, AppendEntries | InstallSnapshot) and msg.term == self.current_term:
            self.become_follower(ctx, msg.term, src)  # someone else won this term (§5.2)
            self._step_follower(ctx, src, msg)
        elif (isinstance(msg, RequestVoteReply) and msg.term == self.current_term
              and msg.vote_granted):
            self.votes.add(src)
            self._maybe_win(ctx)

    def _step_leader(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, AppendEntriesReply) and msg.term == self.current_term:
            self.handle_append_reply(ctx, src, msg)
        elif isinstance(msg, InstallSnapshotReply) and msg.term == self.current_term:
            self.handle_snapshot_reply(ctx, src, msg)

    def _maybe_win(self, ctx: Context) -> None:
        if len(self.votes) >= self.quorum():
            self.become_leader(ctx)

    # ------------------------------------------------------------ RequestVote
    def handle_request_vote(self, ctx: Context, src: str, msg: RequestVote) -> None:
        """RequestVote receiver implementation (Figure 2)."""
        granted = self.should_grant_vote(msg)
        if granted:
            self.voted_for = msg.candidate_id
            self.persist_state(ctx)
            self.reset_election_timer(ctx)
        ctx.send(src, RequestVoteReply(term=self.current_term, vote_granted=granted))

    def should_grant_vote(self, msg: RequestVote) -> bool:
        """Grant if the term is current, we have not voted for another, and the
        candidate's log is at least as up to date as ours (§5.2, §5.4.1)."""
        if msg.term < self.current_term:
            return False
        if self.voted_for not in (None, msg.candidate_id):
            return False
        return not self.config.election_restriction or self.log_up_to_date(
            msg.last_log_term, msg.last_log_index)

    def log_up_to_date(self, last_term: int, last_index: int) -> bool:
        """§5.4.1: compare last terms; with equal terms, the longer log wins."""
        if last_term != self.log.last_term:
            return last_term > self.log.last_term
        return last_index >= self.log.last_index

    # ------------------------------------------------------------ persistence
    def persist_state(self, ctx: Context) -> None:
        """Save current_term and voted_for (before replying or sending)."""
        ctx.persist("current_term", self.current_term, immutable=True)
        ctx.persist("voted_for", self.voted_for, immutable=True)

    def persist_log_if_dirty(self, ctx: Context) -> None:
        """Persist entries the leader appended since its last write (one write per batch)."""
        if self.log_dirty:
            self.persist_log(ctx)

    def persist_log(self, ctx: Context) -> None:
        """Save the log after the snapshot (entries are frozen: no copy needed)."""
        self.log_dirty = False
        ctx.persist("log", self.log.as_tuple(), immutable=True)
        ctx.persist("snapshot_meta", (self.log.snapshot_index, self.log.snapshot_term),
                    immutable=True)

    # ------------------------------------------------------------ clients
    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """A client command: only the leader takes it; others say who leads.

        A malformed command fails at once with the reason (it must never
        reach the log, where every node would choke on it when applying).
        """
        try:
            command = Command(client=request.client, seq=request.seq or request.id,
                              op=request.f, key=request.key, value=request.value)
        except ValueError as error:
            ctx.reply(request, {"error": str(error)}, ok=False)
            return
        if self.role != LEADER:
            ctx.reply(request, {"error": "not leader", "leader": self.leader_id}, ok=False)
            return
        index, _, _ = self.submit(ctx, command)
        self.pending[index] = (request, self.current_term)

    def submit(self, ctx: Context, command: Any) -> tuple[int, int, bool]:
        """Start agreement on ``command``: (index, term, is_leader), like 6.5840's Start()."""
        if self.role != LEADER:
            return -1, self.current_term, False
        index = self.log.append(LogEntry(term=self.current_term, command=command))
        # Written to disk before anything depends on it: the next send, or counting
        # ourselves towards a majority (see persist_log_if_dirty). Until then a crash
        # loses it, and nobody has seen it.
        self.log_dirty = True
        ctx.set_timer("replicate", 0)  # one AppendEntries round for all commands of this moment
        if not self.peers:
            self.advance_commit(ctx)  # a single-node cluster commits at once
        return index, self.current_term, True

    # ------------------------------------------------------------ views
    def view(self) -> dict[str, Any]:
        """Role, term, log terms, commit and applied indexes, for tables and diagrams."""
        return {"role": self.role, "term": self.current_term, "log": str(self.log),
                "commit": self.commit_index, "applied": self.last_applied}

    def describe(self) -> str:
        """A one-line label: ``leader t=3 log=1 1 3 c=2`` (the log's last 8 terms)."""
        return (f"{self.role} t={self.current_term} log={self.log.short()} "
                f"c={self.commit_index}")
