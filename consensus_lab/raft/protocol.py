"""Raft as a pure step function, rule for rule after Figure 2 of the paper.

Theory of operation (the structure of etcd-io/raft):

* :meth:`RaftProtocol.step` takes a :class:`~.state.RaftState` and one input
  and returns the next state and the effects, in order. For a message it
  first applies the rule every role shares — a higher term makes us a
  follower of that term (§5.1) — then hands the message to the role's step
  (:meth:`step_follower`, :meth:`step_candidate`, :meth:`step_leader`).
  ``become_follower``, ``become_candidate`` and ``become_leader``
  (:mod:`.election`) move between the roles.
* Durable state (``current_term``, ``voted_for``, the log, the snapshot)
  changes together with the Persist effects that write it, placed *before*
  any Send that depends on it, so a crash can never make a node forget a
  vote or an entry it acknowledged (Figure 2, "Persistent state").
* Committed entries are applied in order to the state machine (a
  :class:`~.store.KVValue`); a client request waits in ``pending`` until its
  entry is applied, then is answered with a Reply.
* The decisions of Figure 2 are pure functions in a :class:`~.rules.RaftRules`
  value, so a grader can plug a learner's function in.

Inputs: :class:`~consensus_lab.sim.step.Deliver` (a Raft message),
:class:`~consensus_lab.sim.step.Fire` (``election``, ``heartbeat``,
``replicate``), :class:`~consensus_lab.sim.step.Request` (a client's KV
command) and :class:`~.state.Submit` (6.5840's ``Start(command)``).

The switches in :class:`RaftConfig` that say ``# buggy when False`` exist
for the safety notebook and the model checker: turning one off reproduces a
known bug (a committed entry lost; the Figure 8 case).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kv import Command
from ..sim.step import Deliver, Effect, Effects, Fire, Reply, Request, StepProtocol, timer
from . import paper
from .config import RaftConfig
from .election import ElectionSteps
from .follower import FollowerSteps
from .log import Log
from .messages import (
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
    LogEntry,
    RequestVote,
    RequestVoteReply,
)
from .replication import ReplicationSteps
from .rules import RaftRules
from .state import CANDIDATE, LEADER, RaftState, Submit, evolve
from .store import KVValue

Out = list[Effect]

#: The timer every appended command arms (a value: made once, not per command).
REPLICATE_SOON = timer("replicate", 0, paper.REPLICATE_SOON)


class RaftProtocol(ElectionSteps, ReplicationSteps, FollowerSteps, StepProtocol[RaftState]):
    """A Raft server with a replicated key-value store, as a step function.

    A service built on Raft (etcd, the partition experiment's store) subclasses
    it: a subclass of :class:`RaftState` as ``state_class`` for its own
    volatile fields, and overrides of the hooks ``restore_store``,
    ``apply_command``, ``become_leader``, ``apply_committed``, ``on_request``,
    ``on_message`` and ``on_timer``.
    """

    state_class: type[RaftState] = RaftState

    def __init__(self, config: RaftConfig | None = None, rules: RaftRules | None = None) -> None:
        self.config = config or RaftConfig()
        self.rules = rules or RaftRules.of(self.config)

    # ------------------------------------------------------------ life cycle
    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[RaftState, Effects]:
        """Recover the durable state (empty on first boot) and wait for a leader."""
        snap_index, snap_term = stored.get("snapshot_meta", (0, 0))
        data = stored.get("snapshot")
        s = self.state_class(node_id, tuple(peers), current_term=stored.get("current_term", 0),
                      voted_for=stored.get("voted_for"),
                      log=Log(tuple(stored.get("log", ())), snap_index, snap_term),
                      snapshot_data=data, store=self.restore_store(data),
                      commit_index=snap_index, last_applied=snap_index)
        out: Out = []
        s = self.become_follower(s, s.current_term, None, out)
        self.reset_election_timer(out)
        return s, tuple(out)

    def restore_store(self, data: Any) -> Any:
        """The state machine a snapshot (None: the empty one) describes."""
        return KVValue.restore(data)

    def step(self, state: RaftState, event: Any) -> tuple[RaftState, Effects]:
        """One input: the next state and the effects to carry out, in order."""
        out: Out = []
        if isinstance(event, Deliver):
            state = self.on_message(state, event.src, event.msg, out)
        elif isinstance(event, Fire):
            state = self.on_timer(state, event.name, out)
        elif isinstance(event, Request):
            state = self.on_request(state, event.request, out)
        elif isinstance(event, Submit):
            state = self.submit(state, event.command, out)
        else:
            raise TypeError(f"{state.node_id}: Raft takes Deliver, Fire, Request or Submit, "
                            f"got {event!r}")
        return state, tuple(out)

    # ------------------------------------------------------------ messages
    def on_message(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """The rule all servers share (§5.1), then the role's own step function."""
        term = getattr(msg, "term", None)
        if term is None:
            raise TypeError(f"{s.node_id}: Raft got a message without a term: {msg!r}")
        if term > s.current_term:
            leader = src if isinstance(msg, AppendEntries | InstallSnapshot) else None
            s = self.become_follower(s, term, leader, out)
        if isinstance(msg, RequestVote):
            return self.handle_request_vote(s, src, msg, out)
        if term < s.current_term and isinstance(msg, AppendEntries | InstallSnapshot):
            # Figure 2, in every role: "Reply false if term < currentTerm", so a
            # deposed leader learns the new term even from a candidate or leader.
            return self.step_follower(s, src, msg, out)
        if s.role == LEADER:
            return self.step_leader(s, src, msg, out)
        if s.role == CANDIDATE:
            return self.step_candidate(s, src, msg, out)
        return self.step_follower(s, src, msg, out)

    def step_follower(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """AppendEntries and InstallSnapshot; replies to an old candidacy or leadership
        are stale and ignored."""
        if isinstance(msg, AppendEntries):
            return self.handle_append_entries(s, src, msg, out)
        if isinstance(msg, InstallSnapshot):
            return self.handle_install_snapshot(s, src, msg, out)
        return s

    def step_candidate(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """Count votes; step down for this term's leader (§5.2)."""
        if isinstance(msg, AppendEntries | InstallSnapshot) and msg.term == s.current_term:
            s = self.become_follower(s, msg.term, src, out)  # someone else won this term
            return self.step_follower(s, src, msg, out)
        if isinstance(msg, RequestVoteReply):
            return self.step_candidate_vote(s, src, msg, out)
        return s

    def step_leader(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """Replies of this term from followers."""
        if isinstance(msg, AppendEntriesReply) and msg.term == s.current_term:
            return self.handle_append_reply(s, src, msg, out)
        if isinstance(msg, InstallSnapshotReply) and msg.term == s.current_term:
            return self.handle_snapshot_reply(s, src, msg, out)
        return s

    # ------------------------------------------------------------ timers
    def on_timer(self, s: RaftState, name: str, out: Out) -> RaftState:
        """Election timeout: stand for election. Heartbeat: replicate."""
        if name == "election" and s.role != LEADER:
            return self.become_candidate(s, out)
        if name == "heartbeat" and s.role == LEADER:
            s = self.broadcast_append(s, out)
            out.append(timer("heartbeat", self.config.heartbeat_interval, paper.HEARTBEAT))
        elif name == "replicate" and s.role == LEADER:
            s = self.broadcast_append(s, out)
        return s

    # ------------------------------------------------------------ clients
    def on_request(self, s: RaftState, request: Any, out: Out) -> RaftState:
        """A client command: only the leader takes it; others say who leads.

        A malformed command fails at once with the reason (it must never
        reach the log, where every node would choke on it when applying).
        """
        try:
            command = Command(client=request.client, seq=request.seq or request.id,
                              op=request.f, key=request.key, value=request.value)
        except ValueError as error:
            out.append(Reply(request, {"error": str(error)}, False, paper.BAD_COMMAND))
            return s
        if s.role != LEADER:
            out.append(Reply(request, {"error": "not leader", "leader": s.leader_id}, False,
                             paper.NOT_LEADER))
            return s
        return self.propose(s, command, request, out)

    def propose(self, s: RaftState, command: Any, request: Any, out: Out) -> RaftState:
        """A leader appends ``command`` and answers ``request`` once it is applied."""
        index = s.log.last_index + 1
        s = evolve(s, pending=(*s.pending, (index, request, s.current_term)))
        return self.submit(s, command, out)

    def submit(self, s: RaftState, command: Any, out: Out) -> RaftState:
        """Start agreement on ``command`` (6.5840's Start); only a leader appends it."""
        if s.role != LEADER:
            return s
        entry = LogEntry(term=s.current_term, command=command)
        # Written to disk before anything depends on it: the next send, or counting
        # ourselves towards a majority (persist_log_if_dirty). Until then a crash
        # loses it, and nobody has seen it.
        s = evolve(s, log=s.log.appended((entry,)), log_dirty=True)
        out.append(REPLICATE_SOON)  # one round per moment
        if not s.peers:
            s = self.advance_commit(s, out)  # a single-node cluster commits at once
        return s

    # ------------------------------------------------------------ views
    def view(self, state: RaftState) -> dict[str, Any]:
        """Role, term, log terms, commit and applied indexes, for tables and diagrams."""
        return {"role": state.role, "term": state.current_term, "log": str(state.log),
                "commit": state.commit_index, "applied": state.last_applied}

    def describe(self, state: RaftState) -> str:
        """A one-line label: ``leader t=3 log=1 1 3 c=2`` (the log's last 8 terms)."""
        return (f"{state.role} t={state.current_term} log={state.log.short()} "
                f"c={state.commit_index}")
