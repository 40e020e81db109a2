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

The replica is a pure step protocol (:class:`ReplicaProtocol`) over
:class:`ReplicaState`. Durable, written with ``Persist`` before the reply
that depends on it: the acceptor's ``promised`` and ``accepted``, the
proposer's ``round``, the learned ``decision`` (and ``tx`` at ``c1``). A
message a replica "sends" to itself is handled in the same step, so its
effects come in the order the old handler calls made them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..paxos.ballot import Ballot
from ..paxos.messages import Accept, Accepted, Nack, Prepare, Promise
from ..sim.step import (
    CancelTimer,
    Deliver,
    Effect,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Request,
    Send,
    StepNode,
    StepProtocol,
    timer,
)
from .config import CommitConfig
from .machine import refuse
from .messages import ABORT, COMMIT, Decision, DecisionRequest, Vote
from .messages import Prepare as TwoPCPrepare
from .twopc import TX, coordinator_ids, participant_ids

RULE_LOG_BEGIN = "2PC: the first coordinator replica logs the transaction before any Prepare"
RULE_PREPARE = "2PC phase 1: Prepare to every participant (DDIA ch. 9)"
RULE_DECIDE_TIMER = ("Paxos Commit: a replica with no decision by a timeout proposes one, "
                     "commit only with every Yes (Gray & Lamport 2006)")
RULE_ROUND = "Paxos: a proposer logs its round before it uses a ballot of it (PMS §2.2)"
RULE_PROPOSE = "Paxos phase 1a: a proposer sends Prepare(n) to the acceptors (PMS §2.2)"
RULE_NOTE = "Paxos Commit: the outcome is chosen by consensus among the replicas"
RULE_P2C = ("Paxos P2c: with a majority of promises, Accept the highest accepted value, else "
            "our own (PMS §2.2)")
RULE_PROMISE_LOG = "Paxos phase 1b: an acceptor logs its promise before answering (PMS §2.2)"
RULE_PROMISE = "Paxos phase 1b: promise to ignore ballots below n; report the accepted value"
RULE_ACCEPT_LOG = ("Paxos phase 2b: an acceptor logs the accepted proposal before answering "
                   "(PMS §2.2)")
RULE_ACCEPTED = "Paxos phase 2b: accept unless a higher ballot was promised (PMS §2.2)"
RULE_NACK = "Paxos: an acceptor tells a proposer of a lower ballot what it promised"
RULE_LEARN_LOG = "Paxos Commit: a replica logs the chosen outcome (Gray & Lamport 2006)"
RULE_DECIDED = "Paxos Commit: once the outcome is known, stop proposing"
RULE_TELL = ("Paxos Commit: the replica that sees the outcome chosen tells every participant "
             "and replica")
RULE_ANSWER = "2PC: a replica that knows the outcome tells a participant that asks (BHG §7.4)"


def majority(n: int) -> int:
    """Any two sets of this size among ``n`` intersect."""
    return n // 2 + 1


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """One coordinator replica: acceptor, proposer and learner of the outcome.

    Durable: ``promised``, ``accepted`` (acceptor), ``max_round``
    (stored as ``round``) and ``decision``. Invariant: ``accepted`` is
    None or ``accepted[0] <= promised``.
    """

    node_id: str  # constant
    replicas: tuple[str, ...]  # constant: every replica, sorted (this one included)
    participants: frozenset[str]  # constant
    yes_votes: frozenset[str] = frozenset()
    saw_no: bool = False
    # acceptor (persisted)
    promised: Ballot | None = None
    accepted: tuple[Ballot, str] | None = None
    # proposer
    max_round: int = 0
    ballot: Ballot | None = None
    promises: frozenset[tuple[str, tuple[Ballot, str] | None]] = frozenset()
    accepts: frozenset[str] = frozenset()
    proposed: str | None = None
    wanted: str | None = None  # the outcome this replica proposes if none is accepted
    # learner (persisted)
    decision: str | None = None

    def __str__(self) -> str:
        acc = "-" if self.accepted is None else f"{self.accepted[0]}:{self.accepted[1]}"
        return f"yes={len(self.yes_votes)} acc={acc} dec={self.decision or '-'}"

    @property
    def first(self) -> bool:
        """The replica that starts the transaction and proposes commit first."""
        return self.node_id == self.replicas[0]

    def all_yes(self) -> bool:
        """Every participant voted Yes, none No."""
        return not self.saw_no and len(self.yes_votes) == len(self.participants)


RStep = tuple[ReplicaState, list[Effect]]


class ReplicaProtocol(StepProtocol[ReplicaState]):
    """The coordinator replicas' protocol: single-decree Paxos on the outcome."""

    def __init__(self, config: CommitConfig | None = None) -> None:
        self.config = config or CommitConfig()

    def wait(self, st: ReplicaState) -> int:
        """Replicas wait a little longer each down the list: fewer duels."""
        return self.config.decide_after + 20 * st.replicas.index(st.node_id)

    # ------------------------------------------------------------ life cycle
    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[ReplicaState, Effects]:
        """Recover acceptor, round and decision; c1 starts the transaction."""
        st = ReplicaState(node_id, tuple(sorted((*coordinator_ids(peers), node_id))),
                          frozenset(participant_ids(peers)), promised=stored.get("promised"),
                          accepted=stored.get("accepted"), max_round=stored.get("round", 0),
                          decision=stored.get("decision"))
        effects: list[Effect] = []
        if st.first and "tx" not in stored:
            effects.append(Persist("tx", TX, RULE_LOG_BEGIN))
            effects.extend(Send(p, TwoPCPrepare(tx=TX), RULE_PREPARE)
                           for p in sorted(st.participants))
        if st.decision is None:
            effects.append(timer("decide", self.wait(st), RULE_DECIDE_TIMER))
        return st, tuple(effects)

    def step(self, state: ReplicaState, event: Input) -> tuple[ReplicaState, Effects]:
        """One input: votes and questions, Paxos among replicas, decisions, the timer."""
        st, effects = self._step(state, event)
        return st, tuple(effects)

    def _step(self, st: ReplicaState, event: Input) -> RStep:
        match event:
            case Fire("decide") if st.decision is None:
                st, effects = self.propose(st, COMMIT if st.all_yes() else ABORT)
                return st, [*effects, timer("decide", self.wait(st), RULE_DECIDE_TIMER)]
            case Deliver(src, Vote() as msg):
                return self.on_vote(st, src, msg)
            case Deliver(src, DecisionRequest()) if st.decision is not None:
                return st, [Send(src, Decision(tx=TX, outcome=st.decision), RULE_ANSWER)]
            case Deliver(_, Decision() as msg):
                return self.learn(st, msg.outcome, tell=False)
            case Deliver(src, Prepare() as msg):
                return self.on_prepare(st, src, msg.ballot)
            case Deliver(src, Accept() as msg):
                return self.on_accept(st, src, msg.ballot, msg.value)
            case Deliver(src, Promise() as msg) if msg.ballot == st.ballot and st.proposed is None:
                return self.on_promise(st, src, msg.accepted)
            case Deliver(src, Accepted() as msg) if msg.ballot == st.ballot:
                return self.on_accepted(st, src)
            case Deliver(_, Nack() as msg):
                return replace(st, max_round=max(st.max_round, msg.promised.round)), []
            case Request() as request:
                return st, list(refuse(request, "a coordinator replica"))
        return st, []

    def on_vote(self, st: ReplicaState, src: str, msg: Vote) -> RStep:
        """Count votes; propose abort on a No, commit (c1 first) once everyone said Yes."""
        st = (replace(st, yes_votes=st.yes_votes | {src}) if msg.yes
              else replace(st, saw_no=True))
        if st.decision is not None or st.ballot is not None:
            return st, []
        if st.saw_no:
            return self.propose(st, ABORT)
        if st.all_yes() and st.first:
            return self.propose(st, COMMIT)
        return st, []

    # ------------------------------------------------------------ proposer
    def propose(self, st: ReplicaState, value: str) -> RStep:
        """Phase 1a with a fresh ballot; our own promise is taken at once."""
        rnd = st.max_round + 1
        ballot = Ballot(rnd, st.node_id)
        st = replace(st, max_round=rnd, ballot=ballot, promises=frozenset(),
                     accepts=frozenset(), proposed=None, wanted=value)
        effects: list[Effect] = [Persist("round", rnd, RULE_ROUND),
                                 Note(f"propose {value} with ballot {ballot}", RULE_NOTE)]
        for r in st.replicas:
            if r == st.node_id:
                st, more = self.on_prepare(st, r, ballot)
                effects.extend(more)
            else:
                effects.append(Send(r, Prepare(ballot=ballot), RULE_PROPOSE))
        return st, effects

    def on_promise(self, st: ReplicaState, src: str,
                   accepted: tuple[Ballot, str] | None) -> RStep:
        """With a majority of promises, Accept the highest accepted value, else ours (P2c)."""
        promises = {**dict(st.promises), src: accepted}
        st = replace(st, promises=frozenset(promises.items()))
        if len(promises) < majority(len(st.replicas)):
            return st, []
        reported = [a for a in promises.values() if a is not None]
        proposed = max(reported)[1] if reported else st.wanted
        ballot = st.ballot
        assert ballot is not None and proposed is not None  # propose() set both
        st = replace(st, proposed=proposed)
        effects: list[Effect] = []
        for r in st.replicas:
            if r == st.node_id:
                st, more = self.on_accept(st, r, ballot, proposed)
                effects.extend(more)
            else:
                effects.append(Send(r, Accept(ballot=ballot, value=proposed), RULE_P2C))
        return st, effects

    def on_accepted(self, st: ReplicaState, src: str) -> RStep:
        """With a majority of Accepted, the proposed outcome is chosen: decide, tell all."""
        st = replace(st, accepts=st.accepts | {src})
        if len(st.accepts) >= majority(len(st.replicas)) and st.proposed is not None:
            return self.learn(st, st.proposed, tell=True)
        return st, []

    # ------------------------------------------------------------ acceptor
    def on_prepare(self, st: ReplicaState, src: str, ballot: Ballot) -> RStep:
        """Promise ``ballot`` unless a higher one is promised (PMS §2.2 phase 1b)."""
        if st.promised is not None and ballot < st.promised:
            return self._answer(st, src, Nack(ballot=ballot, promised=st.promised), RULE_NACK)
        st = replace(st, promised=ballot)
        st, effects = self._answer(st, src, Promise(ballot=ballot, accepted=st.accepted),
                                   RULE_PROMISE)
        return st, [Persist("promised", ballot, RULE_PROMISE_LOG), *effects]

    def on_accept(self, st: ReplicaState, src: str, ballot: Ballot, value: str) -> RStep:
        """Accept unless a higher ballot is promised (PMS §2.2 phase 2b)."""
        if st.promised is not None and ballot < st.promised:
            return self._answer(st, src, Nack(ballot=ballot, promised=st.promised), RULE_NACK)
        st = replace(st, promised=ballot, accepted=(ballot, value))
        st, effects = self._answer(st, src, Accepted(ballot=ballot, value=value), RULE_ACCEPTED)
        return st, [Persist("promised", ballot, RULE_ACCEPT_LOG),
                    Persist("accepted", (ballot, value), RULE_ACCEPT_LOG), *effects]

    def _answer(self, st: ReplicaState, dst: str, msg: Any, rule: str) -> RStep:
        """Send ``msg`` to ``dst``, or handle it at once if ``dst`` is this replica."""
        if dst != st.node_id:
            return st, [Send(dst, msg, rule)]
        if isinstance(msg, Promise) and msg.ballot == st.ballot and st.proposed is None:
            return self.on_promise(st, dst, msg.accepted)
        if isinstance(msg, Accepted) and msg.ballot == st.ballot:
            return self.on_accepted(st, dst)
        return st, []

    # ------------------------------------------------------------ learner
    def learn(self, st: ReplicaState, outcome: str, tell: bool) -> RStep:
        """Record the chosen outcome; the replica that saw it chosen tells everyone."""
        if st.decision is not None:
            return st, []
        st = replace(st, decision=outcome)
        effects: list[Effect] = [Persist("decision", outcome, RULE_LEARN_LOG),
                                 CancelTimer("decide", RULE_DECIDED),
                                 Note(f"decided {outcome}", RULE_NOTE)]
        if tell:
            effects.extend(Send(dst, Decision(tx=TX, outcome=outcome), RULE_TELL)
                           for dst in (*sorted(st.participants), *st.replicas)
                           if dst != st.node_id)
        return st, effects

    def describe(self, state: ReplicaState) -> str:
        """``yes=3 acc=1.c1:commit dec=-``."""
        return str(state)

    def view(self, state: ReplicaState) -> dict[str, Any]:
        """Votes, acceptor state, decision."""
        acc = "-" if state.accepted is None else f"{state.accepted[0]}:{state.accepted[1]}"
        return {"yes": ",".join(sorted(state.yes_votes)) or "-", "promised":
                str(state.promised or "-"), "accepted": acc, "decision": state.decision or "-"}


class CoordinatorReplica(StepNode[ReplicaState]):
    """One coordinator replica as a simulator node (attributes read its state)."""

    protocol: ReplicaProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None) -> None:
        super().__init__(node_id, peers, ReplicaProtocol(config))

    def describe(self) -> str:
        """``yes=3 acc=1.c1:commit dec=-`` (nothing accepted or decided before the start)."""
        return "yes=0 acc=- dec=-" if self.state is None else str(self.state)

    def _get(self, name: str, default: Any) -> Any:
        return default if self.state is None else getattr(self.state, name)

    config = property(lambda self: self.protocol.config, doc="Timeouts.")
    replicas = property(lambda self: tuple(sorted((*coordinator_ids(self.peers), self.node_id))),
                        doc="Every replica, sorted.")
    participants = property(lambda self: participant_ids(self.peers), doc="The participants.")
    yes_votes = property(lambda self: self._get("yes_votes", frozenset()), doc="Yes votes.")
    saw_no = property(lambda self: self._get("saw_no", False), doc="A No arrived.")
    promised = property(lambda self: self._get("promised", None), doc="Acceptor's promise.")
    accepted = property(lambda self: self._get("accepted", None), doc="Acceptor's value.")
    max_round = property(lambda self: self._get("max_round", 0), doc="Highest round seen.")
    ballot = property(lambda self: self._get("ballot", None), doc="The proposer's ballot.")
    proposed = property(lambda self: self._get("proposed", None), doc="The value in Accept.")
    wanted = property(lambda self: self._get("wanted", None), doc="What it proposes.")
    decision = property(lambda self: self._get("decision", None), doc="The learned outcome.")

    @property
    def promises(self) -> dict[str, tuple[Ballot, str] | None]:
        """The proposer's promises: replica -> what it had accepted."""
        return dict(sorted(self._get("promises", frozenset())))

    @property
    def outcome(self) -> str | None:
        """The decision this replica knows (None: not yet)."""
        decision: str | None = self._get("decision", None)
        return decision
