"""Roles and elections (§5.1, §5.2, §5.4.1): the become_* functions and RequestVote.

Each function takes a state and the list of effects the step is building,
and returns the next state; it appends its effects in the order the paper
requires (a Persist of the term and vote before the Send that depends on
them). ``become_follower``, ``become_candidate`` and ``become_leader`` are
the edges of :data:`~.state.TRANSITIONS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..sim.step import CancelTimer, Effect, Note, Persist, Send, SetTimer, timer
from . import paper
from .config import RaftConfig
from .messages import RequestVote, RequestVoteReply
from .rules import RaftRules
from .state import CANDIDATE, FOLLOWER, LEADER, RaftState, evolve

Out = list[Effect]


class ElectionSteps:
    """The election half of :class:`~.protocol.RaftProtocol`."""

    config: RaftConfig
    rules: RaftRules

    if TYPE_CHECKING:  # defined by the replication half
        def broadcast_append(self, s: RaftState, out: Out) -> RaftState: ...

    # ------------------------------------------------------------ roles
    def become_follower(self, s: RaftState, term: int, leader: str | None,
                        out: Out) -> RaftState:
        """Follow ``leader`` (if known) in ``term``.

        The election timer is *not* reset here (a deposed leader, which had
        none, gets one): Figure 2 resets it only on AppendEntries from the
        current leader, on granting a vote and on starting an election.
        Resetting it on every higher term lets candidates that cannot win
        (stale logs) keep the up-to-date servers from ever standing.
        """
        was_leader = s.role == LEADER
        if term != s.current_term:
            s = evolve(s, current_term=term, voted_for=None)
            self.persist_state(s, out, paper.TERM_RULE)
        s = evolve(s, role=FOLLOWER, leader_id=leader, votes=frozenset(), next_index=(),
                    match_index=(), probing=frozenset())
        out.append(CancelTimer("heartbeat", paper.FOLLOWER_NO_HEARTBEAT))
        if was_leader:
            self.reset_election_timer(out, paper.DEPOSED_TIMER)
        return s

    def become_candidate(self, s: RaftState, out: Out) -> RaftState:
        """Start an election: new term, vote for self, ask everyone (§5.2)."""
        s = evolve(s, current_term=s.current_term + 1, voted_for=s.node_id)
        self.persist_state(s, out, paper.START_ELECTION)
        s = evolve(s, role=CANDIDATE, leader_id=None, votes=frozenset((s.node_id,)))
        self.reset_election_timer(out, paper.START_ELECTION)
        out.append(Note(f"election for term {s.current_term}", paper.START_ELECTION))
        ask = RequestVote(term=s.current_term, candidate_id=s.node_id,
                          last_log_index=s.log.last_index, last_log_term=s.log.last_term)
        out.extend(Send(peer, ask, paper.REQUEST_VOTES) for peer in s.peers)
        return self.maybe_win(s, out)

    def become_leader(self, s: RaftState, out: Out) -> RaftState:
        """Won the election: send heartbeats at once and keep sending them (§5.2)."""
        after = s.log.last_index + 1
        s = evolve(s, role=LEADER, leader_id=s.node_id,
                    next_index=tuple((p, after) for p in s.peers),
                    match_index=tuple((p, 0) for p in s.peers), probing=frozenset(),
                    votes=frozenset())
        out.append(CancelTimer("election", paper.LEADER_NO_ELECTION))
        out.append(Note(f"leader of term {s.current_term}", paper.WON))
        s = self.broadcast_append(s, out)
        out.append(timer("heartbeat", self.config.heartbeat_interval, paper.HEARTBEAT))
        return s

    def maybe_win(self, s: RaftState, out: Out) -> RaftState:
        """Become leader once the votes make a majority."""
        return self.become_leader(s, out) if len(s.votes) >= s.quorum() else s

    def reset_election_timer(self, out: Out, rule: str = paper.ELECTION_TIMER) -> None:
        """A fresh randomized election timeout (§5.2: split votes are rare)."""
        low, high = self.config.election_timeout
        out.append(SetTimer("election", low, high, rule))

    def persist_state(self, s: RaftState, out: Out, rule: str = paper.PERSIST_STATE) -> None:
        """Save current_term and voted_for (before replying or sending)."""
        out.append(Persist("current_term", s.current_term, rule))
        out.append(Persist("voted_for", s.voted_for, rule))

    # ------------------------------------------------------------ RequestVote
    def handle_request_vote(self, s: RaftState, src: str, msg: RequestVote,
                            out: Out) -> RaftState:
        """RequestVote receiver implementation (Figure 2)."""
        granted = self.rules.grant_vote(s, msg)
        if granted:
            s = evolve(s, voted_for=msg.candidate_id)
            self.persist_state(s, out, paper.PERSIST_STATE)
            self.reset_election_timer(out, paper.VOTE_RESETS_TIMER)
        out.append(Send(src, RequestVoteReply(term=s.current_term, vote_granted=granted),
                        paper.VOTE_REPLY))
        return s

    def step_candidate_vote(self, s: RaftState, src: str, msg: RequestVoteReply,
                            out: Out) -> RaftState:
        """A vote for this candidacy counts; a refusal or an old reply does not."""
        if msg.term == s.current_term and msg.vote_granted:
            s = evolve(s, votes=s.votes | {src})
            return self.maybe_win(s, out)
        return s
