"""The proposer of single-decree Paxos, with retries and randomized backoff, as a step function.

Rules (Paxos Made Simple, §2.2):

* **Phase 1a**: pick a ballot ``n`` higher than any it has used or seen and
  send ``Prepare(n)`` to every acceptor.
* **Phase 2a**: with promises from a majority, propose the value of the
  highest-ballot proposal those promises report — its own value only if
  none reports one (rule P2c) — in ``Accept(n, v)`` to every acceptor.
* With ``Accepted(n, v)`` from a majority, ``v`` is chosen.

Progress (§2.4): two proposers can outbid each other for ever — each
``Prepare`` makes the acceptors refuse the other's ``Accept``. This is the
FLP result made concrete: no deterministic rule avoids every such schedule.
After a ``Nack`` the proposer waits ``retry_after`` ticks and, with backoff
on, a random extra wait that doubles with each consecutive ``Nack``
(PMMC §4's backoff); desynchronized retries let one proposer finish. The
random wait is an effect, ``SetTimer("retry", low, high)``: whoever runs
the protocol draws the duration from the range.

The round it used last is persisted before its ``Prepare`` leaves: after a
restart it must never reuse a ballot, which might carry another value.

Theory of operation: ``phase`` moves along :data:`TRANSITIONS` only, through
:func:`become`; one timer, ``retry``, drives every wait.
:class:`ProposerProtocol` is the pure protocol over a :class:`ProposerState`;
:class:`Proposer` runs it as a simulator node with read-only attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sim.step import (
    CancelTimer,
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Send,
    SetTimer,
    StepProtocol,
    Value,
    frozen,
    timer,
)
from .ballot import Ballot
from .config import ACCEPTOR, PaxosConfig, ids_of, majority
from .messages import Accept, Accepted, Nack, Prepare, Promise
from .node import RoleNode, StateField

IDLE, PREPARING, ACCEPTING, WAITING, DONE = "idle", "preparing", "accepting", "waiting", "done"

#: The proposer's state machine: (from, event, to). :func:`become` refuses any
#: other edge, and a test checks every edge is taken in some scenario.
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    (IDLE, "start: prepare a ballot", PREPARING),
    (PREPARING, "promises from a majority: send Accept", ACCEPTING),
    (ACCEPTING, "Accepted from a majority: chosen", DONE),
    (PREPARING, "Nack: wait, maybe with backoff", WAITING),
    (ACCEPTING, "Nack: wait, maybe with backoff", WAITING),
    (WAITING, "wait over: prepare a higher ballot", PREPARING),
    (PREPARING, "retry timeout: prepare a higher ballot", PREPARING),
    (ACCEPTING, "retry timeout: prepare a higher ballot", PREPARING),
)
_EDGES = {(src, event): dst for src, event, dst in TRANSITIONS}
_RETRY_EVENT = {IDLE: "start: prepare a ballot", WAITING: "wait over: prepare a higher ballot",
                PREPARING: "retry timeout: prepare a higher ballot",
                ACCEPTING: "retry timeout: prepare a higher ballot"}
_PROMISED = "promises from a majority: send Accept"
_CHOSEN = "Accepted from a majority: chosen"
_NACKED = "Nack: wait, maybe with backoff"

#: The rules each effect of a proposer carries out.
START = "PMS §2.2: a proposer starts by preparing a proposal (after start_after ticks)"
P1A_ROUND = ("PMS §2.2: different proposals have different numbers, so a proposer never "
             "reuses one: its round is on stable storage before its prepare request leaves")
P1A_PREPARE = ("PMS §2.2 P1a: a proposer selects a proposal number n and sends a prepare "
               "request with number n to a majority of acceptors")
P1A_NOTE = "PMS §2.2 phase 1(a): a new proposal number"
P2A_ACCEPT = ("PMS §2.2 P2a / P2c: with promises from a majority, a proposer sends accept(n, v), "
              "v the value of the highest-numbered proposal among the responses, or its own "
              "value if they report none")
RETRY_TIMEOUT = ("PMS §2.4: a proposer may abandon a proposal and begin a higher-numbered one "
                 "at any time (here: no majority answered within retry_timeout)")
CHOSEN = "PMS §2.3: a value is chosen once a majority of acceptors have accepted its proposal"
DONE_CANCEL = "PMS §2.3: the value is chosen, nothing left to retry"
NACK_BACKOFF = ("PMS §2.4 / PMMC §4: a preempted proposer waits a random time that doubles "
                "with each preemption in a row before trying a higher number, so that one "
                "proposer gets through")


@frozen
class ProposerState(Value):
    """One proposer's state. ``max_round`` is durable (``Persist("round")``); the rest
    is volatile. ``node_id`` and ``value`` (its own value) never change."""

    node_id: str
    value: Any  # the value it wants chosen (unless P2c says otherwise)
    phase: str = IDLE
    max_round: int = 0  # highest round used or seen; persisted before each Prepare
    ballot: Ballot | None = None  # the ballot being tried
    promises: tuple[tuple[str, tuple[Ballot, Any] | None], ...] = ()  # by acceptor
    accepts: frozenset[str] = frozenset()  # acceptors that accepted ``ballot``
    proposed: Any = None  # the value sent in phase 2 of ``ballot``
    chosen: Any = None  # set when phase == DONE
    nacks: int = 0  # consecutive Nacks: the backoff doubles with each


def become(phase: str, event: str) -> str:
    """The phase after ``event`` in ``phase`` along :data:`TRANSITIONS` (no other edge)."""
    target = _EDGES.get((phase, event))
    if target is None:
        raise AssertionError(f"no transition from {phase} on {event!r}")
    return target


class ProposerProtocol(StepProtocol[ProposerState]):
    """Phase 1a and 2a, retries and backoff as pure functions; shared by every proposer.

    ``acceptors`` are the ids it prepares; ``values`` maps a proposer id to its
    own value (``"v-<id>"`` when absent).
    """

    __slots__ = ("config", "acceptors", "quorum", "values", "adopts")

    def __init__(self, config: PaxosConfig | None = None, acceptors: tuple[str, ...] = (),
                 values: Mapping[str, Any] | None = None) -> None:
        self.config = config or PaxosConfig()
        self.acceptors = tuple(acceptors)
        self.quorum = majority(len(self.acceptors))
        self.values = dict(values or {})
        self.adopts = self.config.proposer_adopts_accepted

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[ProposerState, Effects]:
        """Recover the last round (never reuse a ballot) and schedule the first Prepare."""
        value = self.values.get(node_id)
        state = ProposerState(node_id, f"v-{node_id}" if value is None else value,
                              max_round=stored.get("round", 0))
        return state, (timer("retry", self.config.start_after, START),)

    def step(self, state: ProposerState, event: Input) -> tuple[ProposerState, Effects]:
        """``retry`` prepares a higher ballot; answers about the current ballot count."""
        if isinstance(event, Fire):
            if event.name == "retry" and state.phase != DONE:
                return self.prepare(state, _RETRY_EVENT[state.phase])
            return state, ()
        if not isinstance(event, Deliver):
            return state, ()
        msg = event.msg
        if getattr(msg, "ballot", None) != state.ballot:
            return state, ()  # about an older ballot: stale
        phase = state.phase
        if isinstance(msg, Promise) and phase == PREPARING:
            return self.on_promise(state, event.src, msg)
        if isinstance(msg, Accepted) and phase == ACCEPTING:
            return self.on_accepted(state, event.src)
        if isinstance(msg, Nack) and phase in (PREPARING, ACCEPTING):
            return self.on_nack(state, msg)
        return state, ()

    # ------------------------------------------------------------ phase 1
    def prepare(self, state: ProposerState, event: str) -> tuple[ProposerState, Effects]:
        """Phase 1a: a ballot above every round seen, persisted, then Prepare to all."""
        round_ = state.max_round + 1
        ballot = Ballot(round_, state.node_id)
        new = ProposerState(state.node_id, state.value, become(state.phase, event), round_,
                            ballot, nacks=state.nacks)
        prepare = Prepare(ballot=ballot)
        rule = START if state.phase == IDLE else RETRY_TIMEOUT if state.phase != WAITING \
            else NACK_BACKOFF
        return new, (Persist("round", round_, P1A_ROUND),
                     Note(f"prepare ballot {ballot}", rule),
                     *(Send(a, prepare, P1A_PREPARE) for a in self.acceptors),
                     timer("retry", self.config.retry_timeout, RETRY_TIMEOUT))

    def on_promise(self, state: ProposerState, src: str,
                   msg: Promise) -> tuple[ProposerState, Effects]:
        """Count the promise; with a majority, start phase 2 with the P2c value."""
        promises = _put(state.promises, src, msg.accepted)
        if len(promises) < self.quorum:
            return ProposerState(state.node_id, state.value, state.phase, state.max_round,
                                 state.ballot, promises, nacks=state.nacks), ()
        state = ProposerState(state.node_id, state.value, state.phase, state.max_round,
                              state.ballot, promises, nacks=state.nacks)
        proposed = self.pick_value(state)
        new = ProposerState(state.node_id, state.value, become(state.phase, _PROMISED),
                            state.max_round, state.ballot, promises, proposed=proposed,
                            nacks=state.nacks)
        accept = Accept(ballot=msg.ballot, value=proposed)
        return new, (*(Send(a, accept, P2A_ACCEPT) for a in self.acceptors),
                     timer("retry", self.config.retry_timeout, RETRY_TIMEOUT))

    def pick_value(self, state: ProposerState) -> Any:
        """Rule P2c: the value of the highest-ballot accepted proposal among the promises,
        or our own value if none was accepted (always ours in ``ignores-accepted``)."""
        reported = [acc for _src, acc in state.promises if acc is not None]
        if reported and self.adopts:
            return max(reported, key=lambda acc: acc[0])[1]
        return state.value

    # ------------------------------------------------------------ phase 2
    def on_accepted(self, state: ProposerState, src: str) -> tuple[ProposerState, Effects]:
        """With a majority of Accepted for our ballot, the proposed value is chosen."""
        accepts = state.accepts | {src}
        if len(accepts) < self.quorum:
            return ProposerState(state.node_id, state.value, state.phase, state.max_round,
                                 state.ballot, state.promises, accepts, state.proposed,
                                 nacks=state.nacks), ()
        new = ProposerState(state.node_id, state.value, become(state.phase, _CHOSEN),
                            state.max_round, state.ballot, state.promises, accepts,
                            state.proposed, chosen=state.proposed, nacks=0)
        return new, (Note(f"chosen: {new.chosen} (ballot {new.ballot})", CHOSEN),
                     CancelTimer("retry", DONE_CANCEL))

    def on_nack(self, state: ProposerState, msg: Nack) -> tuple[ProposerState, Effects]:
        """Preempted: remember the round to outbid and wait before trying again."""
        nacks = state.nacks + 1
        new = ProposerState(state.node_id, state.value, become(state.phase, _NACKED),
                            max(state.max_round, msg.promised.round), state.ballot,
                            state.promises, state.accepts, state.proposed, state.chosen, nacks)
        return new, (self.backoff(nacks),)

    def backoff(self, nacks: int) -> SetTimer:
        """``retry_after`` plus a random extra wait in [0, backoff_max * 2**k],
        k = Nacks in a row - 1 (capped at ``backoff_doublings``)."""
        config = self.config
        if not config.backoff_max:
            return timer("retry", config.retry_after, NACK_BACKOFF)
        doublings = min(nacks - 1, config.backoff_doublings)
        return SetTimer("retry", config.retry_after,
                        config.retry_after + (config.backoff_max << doublings), NACK_BACKOFF)

    def view(self, state: ProposerState) -> dict[str, Any]:
        """Phase, ballot and the value at stake, for tables."""
        value = state.chosen if state.phase == DONE else state.proposed
        return {"phase": state.phase, "ballot": str(state.ballot or "-"),
                "value": "-" if value is None else value}


def _put(pairs: tuple[tuple[str, Any], ...], key: str,
         value: Any) -> tuple[tuple[str, Any], ...]:
    """``pairs`` (sorted by key: a map from acceptor to its report) with ``key`` set."""
    kept = [pair for pair in pairs if pair[0] != key]
    kept.append((key, value))
    kept.sort(key=_key_of)
    return tuple(kept)


def _key_of(pair: tuple[str, Any]) -> str:
    return pair[0]


class Proposer(RoleNode[ProposerState]):
    """One proposer node that wants ``value`` chosen (or helps choose whatever already is).

    The attributes below read the current state; ``ballots_tried`` counts the
    Prepare rounds of this incarnation (statistics, not protocol state).
    """

    protocol: ProposerProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...], config: PaxosConfig | None = None,
                 value: Any = None, protocol: ProposerProtocol | None = None) -> None:
        if protocol is None:
            values = {} if value is None else {node_id: value}
            protocol = ProposerProtocol(config, ids_of(ACCEPTOR, tuple(sorted(peers))), values)
        super().__init__(node_id, peers, protocol)
        self._value = protocol.values.get(node_id, f"v-{node_id}") if value is None else value
        self.ballots_tried = 0

    def stepped(self, before: ProposerState | None, event: Any) -> None:
        """After a Fire step, a new ballot counts as a ballot tried."""
        if isinstance(event, Fire) and before is not None and self.ballot != before.ballot:
            self.ballots_tried += 1

    value: StateField[Any] = StateField("Its own value.")
    phase: StateField[str] = StateField("idle, preparing, accepting, waiting or done.")
    max_round: StateField[int] = StateField("The highest round used or seen.")
    ballot: StateField[Ballot | None] = StateField("The ballot being tried.")
    accepts: StateField[frozenset[str]] = StateField(
        "Acceptors that accepted the current ballot.")
    proposed: StateField[Any] = StateField("The value sent in phase 2 of the current ballot.")
    chosen: StateField[Any] = StateField("The chosen value once ``phase`` is done.")
    nacks: StateField[int] = StateField("Consecutive Nacks.")

    def fresh(self) -> ProposerState:
        """A new proposer: idle, with its own value."""
        return ProposerState(self.node_id, self._value)

    @property
    def promises(self) -> dict[str, tuple[Ballot, Any] | None]:
        """Acceptor -> what its Promise reported, by acceptor (a copy)."""
        return dict(self._now().promises)
