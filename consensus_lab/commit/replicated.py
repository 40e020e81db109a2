"""Two-phase commit whose decision is chosen by Paxos: no blocking on one coordinator.

Theory of operation. 2PC blocks because one node, the coordinator, is the
only one that can decide. Gray & Lamport ("Consensus on Transaction
Commit", 2006) observe that 2PC is a consensus problem in disguise, and that
2PC is the case F = 0 of their *Paxos Commit*: with 2F + 1 acceptors it
keeps deciding while F of them are down. Real systems do it by running the
coordinator as a replicated state machine — Spanner's coordinator is the
leader of a Paxos group and logs its decision there (Corbett et al. 2012,
§4.2.1).

This module is that design in its smallest teachable form (not Paxos
Commit's one-instance-per-participant optimisation): the coordinator is
three replicas ``c1 c2 c3`` that choose the outcome with **single-decree
Paxos** (the rules of :mod:`consensus_lab.paxos`, and its messages).

* Participants are the plain 2PC :class:`~.twopc.Participant`: they send
  their vote to every replica and ask every replica when in doubt.
* ``c1`` starts the transaction (``Prepare`` to the participants). Any
  replica that holds a Yes from every participant may propose ``commit``;
  a replica that sees a No, or whose ``decide`` timer fires first, proposes
  ``abort``. Paxos lets only one proposal be chosen, and rule P2c makes a
  later proposer adopt a value already accepted — so a late ``abort``
  proposal cannot undo a ``commit`` that a majority accepted.
* The replica that sees its value chosen sends the ``Decision`` to every
  participant and every replica; replicas answer ``Ask`` once they know.

With ``c1`` down after the votes, ``c2``'s timer fires, it runs both Paxos
phases with ``c3`` and decides: the participants are in doubt for about a
timeout, not until ``c1`` comes back. With two of three replicas down it
blocks like 2PC: consensus needs a majority.
"""

from __future__ import annotations

from typing import Any

from ..paxos.ballot import Ballot
from ..paxos.messages import Accept, Accepted, Nack, Prepare, Promise
from ..sim import Context, Node
from .config import CommitConfig
from .messages import ABORT, COMMIT, Decision, DecisionRequest, Vote
from .messages import Prepare as TwoPCPrepare
from .twopc import TX, coordinator_ids, participant_ids


def majority(n: int) -> int:
    """Any two sets of this size among ``n`` intersect."""
    return n // 2 + 1


class CoordinatorReplica(Node):
    """One of the coordinator replicas: acceptor, proposer and learner of the outcome."""

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or CommitConfig()
        self.replicas = tuple(sorted((*coordinator_ids(self.peers), node_id)))
        self.participants = participant_ids(self.peers)
        self.yes_votes: frozenset[str] = frozenset()
        self.saw_no = False
        # acceptor (persisted). Invariant: accepted is None or accepted[0] <= promised
        self.promised: Ballot | None = None
        self.accepted: tuple[Ballot, str] | None = None
        # proposer
        self.max_round = 0
        self.ballot: Ballot | None = None
        self.promises: dict[str, tuple[Ballot, str] | None] = {}
        self.accepts: frozenset[str] = frozenset()
        self.proposed: str | None = None
        self.wanted: str | None = None  # the outcome this replica proposes if none is accepted
        # learner (persisted)
        self.decision: str | None = None

    @property
    def outcome(self) -> str | None:
        """The decision this replica knows (None: not yet)."""
        return self.decision

    # ------------------------------------------------------------ life cycle
    def on_start(self, ctx: Context) -> None:
        """Recover acceptor, round and decision; c1 starts the transaction."""
        stored = ctx.stored
        self.promised, self.accepted = stored.get("promised"), stored.get("accepted")
        self.max_round, self.decision = stored.get("round", 0), stored.get("decision")
        if self.node_id == self.replicas[0] and "tx" not in stored:
            ctx.persist("tx", TX, immutable=True)
            for p in self.participants:
                ctx.send(p, TwoPCPrepare(tx=TX))
        if self.decision is None:
            ctx.set_timer("decide", self._wait())

    def _wait(self) -> int:
        """Replicas wait a little longer each down the list: fewer duels."""
        return self.config.decide_after + 20 * self.replicas.index(self.node_id)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``decide``: no outcome known yet — propose one (commit only with every Yes)."""
        if name == "decide" and self.decision is None:
            self.propose(ctx, COMMIT if self._all_yes() else ABORT)
            ctx.set_timer("decide", self._wait())

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Votes and questions from participants; Paxos among replicas; decisions."""
        if isinstance(msg, Vote):
            self.on_vote(ctx, src, msg)
        elif isinstance(msg, DecisionRequest) and self.decision is not None:
            ctx.send(src, Decision(tx=TX, outcome=self.decision))
        elif isinstance(msg, Decision):
            self.learn(ctx, msg.outcome, tell=False)
        elif isinstance(msg, Prepare):
            self.on_prepare(ctx, src, msg.ballot)
        elif isinstance(msg, Accept):
            self.on_accept(ctx, src, msg.ballot, msg.value)
        elif isinstance(msg, Promise) and msg.ballot == self.ballot and self.proposed is None:
            self.on_promise(ctx, src, msg.accepted)
        elif isinstance(msg, Accepted) and msg.ballot == self.ballot:
            self.on_accepted(ctx, src)
        elif isinstance(msg, Nack):
            self.max_round = max(self.max_round, msg.promised.round)

    def on_vote(self, ctx: Context, src: str, msg: Vote) -> None:
        """Count votes; propose abort on a No, commit (c1 first) once everyone said Yes."""
        if msg.yes:
            self.yes_votes = self.yes_votes | {src}
        else:
            self.saw_no = True
        if self.decision is not None or self.ballot is not None:
            return
        if self.saw_no:
            self.propose(ctx, ABORT)
        elif self._all_yes() and self.node_id == self.replicas[0]:
            self.propose(ctx, COMMIT)

    def _all_yes(self) -> bool:
        return not self.saw_no and len(self.yes_votes) == len(self.participants)

    # ------------------------------------------------------------ proposer
    def propose(self, ctx: Context, value: str) -> None:
        """Phase 1a with a fresh ballot; our own promise is taken at once."""
        self.max_round += 1
        ctx.persist("round", self.max_round, immutable=True)
        self.ballot = Ballot(self.max_round, self.node_id)
        self.promises, self.accepts, self.proposed = {}, frozenset(), None
        self.wanted = value
        ctx.note(f"propose {value} with ballot {self.ballot}")
        for r in self.replicas:
            if r == self.node_id:
                self.on_prepare(ctx, r, self.ballot)
            else:
                ctx.send(r, Prepare(ballot=self.ballot))

    def on_promise(self, ctx: Context, src: str, accepted: tuple[Ballot, str] | None) -> None:
        """With a majority of promises, Accept the highest accepted value, else ours (P2c)."""
        self.promises = {**self.promises, src: accepted}
        if len(self.promises) < majority(len(self.replicas)):
            return
        reported = [a for a in self.promises.values() if a is not None]
        proposed = max(reported)[1] if reported else self.wanted
        assert self.ballot is not None and proposed is not None  # propose() set both
        self.proposed = proposed
        for r in self.replicas:
            if r == self.node_id:
                self.on_accept(ctx, r, self.ballot, proposed)
            else:
                ctx.send(r, Accept(ballot=self.ballot, value=proposed))

    def on_accepted(self, ctx: Context, src: str) -> None:
        """With a majority of Accepted, the proposed outcome is chosen: decide, tell all."""
        self.accepts = self.accepts | {src}
        if len(self.accepts) >= majority(len(self.replicas)) and self.proposed is not None:
            self.learn(ctx, self.proposed, tell=True)

    # ------------------------------------------------------------ acceptor
    def on_prepare(self, ctx: Context, src: str, ballot: Ballot) -> None:
        """Promise ``ballot`` unless a higher one is promised (PMS §2.2 phase 1b)."""
        if self.promised is not None and ballot < self.promised:
            self._answer(ctx, src, Nack(ballot=ballot, promised=self.promised))
            return
        self.promised = ballot
        ctx.persist("promised", ballot, immutable=True)
        self._answer(ctx, src, Promise(ballot=ballot, accepted=self.accepted))

    def on_accept(self, ctx: Context, src: str, ballot: Ballot, value: str) -> None:
        """Accept unless a higher ballot is promised (PMS §2.2 phase 2b)."""
        if self.promised is not None and ballot < self.promised:
            self._answer(ctx, src, Nack(ballot=ballot, promised=self.promised))
            return
        self.promised, self.accepted = ballot, (ballot, value)
        ctx.persist("promised", ballot, immutable=True)
        ctx.persist("accepted", self.accepted, immutable=True)
        self._answer(ctx, src, Accepted(ballot=ballot, value=value))

    def _answer(self, ctx: Context, dst: str, msg: Any) -> None:
        """Send ``msg`` to ``dst``, or handle it at once if ``dst`` is this replica."""
        if dst != self.node_id:
            ctx.send(dst, msg)
        elif isinstance(msg, Promise) and msg.ballot == self.ballot and self.proposed is None:
            self.on_promise(ctx, dst, msg.accepted)
        elif isinstance(msg, Accepted) and msg.ballot == self.ballot:
            self.on_accepted(ctx, dst)

    # ------------------------------------------------------------ learner
    def learn(self, ctx: Context, outcome: str, tell: bool) -> None:
        """Record the chosen outcome; the replica that saw it chosen tells everyone."""
        if self.decision is not None:
            return
        self.decision = outcome
        ctx.persist("decision", outcome, immutable=True)
        ctx.cancel_timer("decide")
        ctx.note(f"decided {outcome}")
        if tell:
            for dst in (*self.participants, *self.replicas):
                if dst != self.node_id:
                    ctx.send(dst, Decision(tx=TX, outcome=outcome))

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable."""
        return ("replica", self.yes_votes, self.saw_no, self.promised, self.accepted,
                self.max_round, self.ballot, frozenset(self.promises.items()), self.accepts,
                self.proposed, self.wanted, self.decision)

    def describe(self) -> str:
        """``acc=1.c1:commit dec=-``."""
        acc = "-" if self.accepted is None else f"{self.accepted[0]}:{self.accepted[1]}"
        return f"yes={len(self.yes_votes)} acc={acc} dec={self.decision or '-'}"

    def view(self) -> dict[str, Any]:
        """Votes, acceptor state, decision."""
        acc = "-" if self.accepted is None else f"{self.accepted[0]}:{self.accepted[1]}"
        return {"yes": ",".join(sorted(self.yes_votes)) or "-", "promised":
                str(self.promised or "-"), "accepted": acc, "decision": self.decision or "-"}
