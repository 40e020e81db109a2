"""The acceptor of single-decree Paxos: the memory of the protocol, as a step function.

Rules (Paxos Made Simple, §2.2, "P1a" and the acceptor's half of phase 1
and phase 2):

* **Prepare(n)**: if ``n`` is at least every ballot it has promised, it
  promises ``n`` — never to accept a ballot below ``n`` again — and answers
  with the highest-ballot proposal it has accepted (or none).
* **Accept(n, v)**: it accepts unless it has promised a ballot above ``n``.
* Anything refused is answered with a :class:`~.messages.Nack` naming the
  promise, so the proposer learns a round to outbid.

The promise and the accepted proposal are persisted *before* the answer is
sent (§2.2, last paragraph: "an acceptor must remember this information
even if it fails and then restarts"): the effects are ``Persist("promised")``,
``Persist("accepted")``, then the ``Send``. The ``amnesiac-acceptor``
variant emits no ``Persist``, so a restart (:meth:`AcceptorProtocol.start`
rebuilds the state from what was persisted, nothing else) forgets
everything; the ``forgetful-acceptor`` variant ignores its promise when
accepting. Both can choose two values.

:class:`AcceptorProtocol` is the pure protocol (``start``/``step`` over an
:class:`AcceptorState`); :class:`Acceptor` runs it as a node of the
simulator, with read-only ``promised`` and ``accepted``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sim.step import Deliver, Effects, Input, Persist, Send, StepProtocol, Value, frozen
from .ballot import Ballot
from .config import LEARNER, PaxosConfig, ids_of
from .messages import Accept, Accepted, Nack, Prepare, Promise, Query
from .node import RoleNode, StateField

#: The rules each effect of an acceptor carries out (Lamport, "Paxos Made Simple").
P1B_PROMISE = ("PMS §2.2 P1b: an acceptor promises never to accept a proposal numbered less "
               "than n and replies with the highest-numbered proposal it has accepted")
P1B_REFUSE = ("PMS §2.2 P1a: an acceptor that promised a higher number refuses prepare(n); "
              "it tells the proposer so (a Nack naming its promise, PMMC's preemption)")
P2B_ACCEPT = ("PMS §2.2 P2b / P1a: an acceptor accepts accept(n, v) unless it has responded "
              "to a prepare request numbered greater than n")
P2B_REFUSE = ("PMS §2.2 P1a: an acceptor that promised a higher number refuses accept(n, v) "
              "and names its promise in a Nack")
PERSIST_FIRST = ("PMS §2.2: an acceptor must remember its promise and accepted proposal even "
                 "if it fails and restarts, so it writes them to stable storage before answering")
TELL_LEARNERS = ("PMS §2.3: whenever an acceptor accepts a proposal it tells the proposer and "
                 "every learner")
ANSWER_QUERY = ("PMS §2.3: a learner may ask an acceptor again what it has accepted (lost "
                "messages)")


@frozen
class AcceptorState(Value):
    """What an acceptor remembers: its promise and its accepted proposal (both durable).

    ``promised`` is the highest ballot it has promised (None: none yet);
    ``accepted`` is ``(ballot, value)`` of the proposal it accepted last, or
    None. Both are written only through ``Persist("promised")`` and
    ``Persist("accepted")``. Invariant of a correct acceptor:
    ``accepted[0] <= promised``.
    """

    promised: Ballot | None = None
    accepted: tuple[Ballot, Any] | None = None

    def __str__(self) -> str:
        accepted = "None" if self.accepted is None else f"({self.accepted[0]}, " \
            f"{self.accepted[1]!r})"
        return f"AcceptorState(promised={self.promised}, accepted={accepted})"


class AcceptorProtocol(StepProtocol[AcceptorState]):
    """Phase 1b and phase 2b as pure functions; shared by every acceptor of a run.

    ``learners`` are the ids an ``Accepted`` also goes to (after the proposer).
    """

    __slots__ = ("config", "learners", "keeps_promise", "persists")

    def __init__(self, config: PaxosConfig | None = None, learners: tuple[str, ...] = ()) -> None:
        self.config = config or PaxosConfig()
        self.learners = tuple(learners)
        self.keeps_promise = self.config.acceptor_keeps_promise
        self.persists = self.config.acceptor_persists

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[AcceptorState, Effects]:
        """Exactly what was persisted: the promise and the accepted proposal (or nothing)."""
        return AcceptorState(stored.get("promised"), stored.get("accepted")), ()

    def step(self, state: AcceptorState, event: Input) -> tuple[AcceptorState, Effects]:
        """Prepare, Accept, or a learner's Query; anything else changes nothing."""
        if isinstance(event, Deliver):
            msg = event.msg
            if isinstance(msg, Prepare):
                return self.on_prepare(state, event.src, msg)
            if isinstance(msg, Accept):
                return self.on_accept(state, event.src, msg)
            if isinstance(msg, Query) and state.accepted is not None:
                ballot, value = state.accepted
                return state, (Send(event.src, Accepted(ballot=ballot, value=value),
                                    ANSWER_QUERY),)
        return state, ()

    def on_prepare(self, state: AcceptorState, src: str,
                   msg: Prepare) -> tuple[AcceptorState, Effects]:
        """Promise ``msg.ballot`` unless a higher ballot is promised (PMS §2.2, phase 1b)."""
        promised = state.promised
        if promised is not None and msg.ballot < promised:
            return state, (Send(src, Nack(ballot=msg.ballot, promised=promised), P1B_REFUSE),)
        new = AcceptorState(msg.ballot, state.accepted)
        return new, (*self.persist(new),
                     Send(src, Promise(ballot=msg.ballot, accepted=state.accepted), P1B_PROMISE))

    def on_accept(self, state: AcceptorState, src: str,
                  msg: Accept) -> tuple[AcceptorState, Effects]:
        """Accept unless a higher ballot is promised (PMS §2.2, phase 2b); tell the learners."""
        promised, ballot = state.promised, msg.ballot
        if self.keeps_promise and promised is not None and ballot < promised:
            return state, (Send(src, Nack(ballot=ballot, promised=promised), P2B_REFUSE),)
        new = AcceptorState(ballot if promised is None or promised < ballot else promised,
                            (ballot, msg.value))
        return new, (*self.persist(new), *self.tell(src, Accepted(ballot=ballot, value=msg.value)))

    def tell(self, src: str, answer: Accepted) -> Effects:
        """``answer`` to the proposer ``src``, then to every learner (PMS §2.3)."""
        return (Send(src, answer, P2B_ACCEPT),
                *(Send(dst, answer, TELL_LEARNERS) for dst in self.learners))

    def persist(self, state: AcceptorState) -> Effects:
        """Promise and accepted proposal to stable storage (none for the amnesiac variant)."""
        if not self.persists:
            return ()
        return (Persist("promised", state.promised, PERSIST_FIRST),
                Persist("accepted", state.accepted, PERSIST_FIRST))

    def view(self, state: AcceptorState) -> dict[str, Any]:
        """Promise and accepted proposal, for tables."""
        accepted = "-" if state.accepted is None else f"{state.accepted[0]}:{state.accepted[1]}"
        return {"promised": str(state.promised or "-"), "accepted": accepted}


class Acceptor(RoleNode[AcceptorState]):
    """One acceptor node; ``promised`` and ``accepted`` (read-only) survive a crash."""

    protocol: AcceptorProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...], config: PaxosConfig | None = None,
                 protocol: AcceptorProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or AcceptorProtocol(
            config, ids_of(LEARNER, tuple(sorted(peers)))))

    promised: StateField[Ballot | None] = StateField(
        "The highest ballot promised (None before the first promise).")
    accepted: StateField[tuple[Ballot, Any] | None] = StateField(
        "``(ballot, value)`` accepted last, or None.")

    def fresh(self) -> AcceptorState:
        """A new acceptor: no promise, nothing accepted."""
        return AcceptorState()
