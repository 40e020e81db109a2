"""Causal broadcast as a step function: hold a message back until its causes are delivered.

Theory of operation (Birman, Schiper & Stephenson 1991; DDIA ch. 9, 因果一致性):

* **Broadcast** (a client request ``f="broadcast"``, ``value=text``): the node
  increments its own entry of its vector clock, stamps a :class:`Broadcast`
  with a frozen copy of the vector, delivers it to itself, then sends it to
  every peer (and replies to the client with the stamp).
* **Receive**: a message already delivered or already waiting is a duplicate
  and is ignored. Otherwise it joins the hold-back buffer, and the node
  delivers every buffered message that the *delivery condition* allows
  (:func:`consensus_lab.clocks.causal.can_deliver` by default), repeating
  until none is deliverable — one delivery can release others.
* **Deliver**: merge the message's vector into the node's clock, append
  ``(message, local time)`` to the delivery log and persist it, write a
  trace note, and run the application's ``replies`` (deliver "How high is
  Everest?" → broadcast "8849 m").

The node is :class:`CausalBroadcast`, a
:class:`~consensus_lab.sim.step.StepProtocol` over the immutable
:class:`CausalState`: ``step(state, input)`` returns the next
state and the effects, in order, each citing its rule (the ``*_RULE``
constants). Durable: the delivery log, written only by
``Persist("delivered", ...)`` (each entry cites the vector-clock rule it
carries out); ``start`` rebuilds the clock from it.
Volatile: the clock and the hold-back buffer. The local time of a delivery
comes in with the input (its ``now``: the node's local clock).

:class:`CausalBroadcastNode` runs the protocol in the simulator. The clock
class and the condition are parameters, so a learner's ``VectorClock`` or
``can_deliver`` can be plugged in with
``functools.partial(CausalBroadcastNode, condition=my_can_deliver)``.
:class:`NaiveBroadcastNode` delivers on receipt and shows the anomaly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from consensus_lab.clocks.causal import (
    DeliveryCondition,
    blocking_reason,
    can_deliver,
    deliver_on_receipt,
)
from consensus_lab.clocks.vector import MERGE_RULE, TICK_RULE, Stamp, VectorClock
from consensus_lab.sim import ClientRequest
from consensus_lab.sim.step import (
    Deliver,
    Effects,
    Input,
    Note,
    Persist,
    Reply,
    Request,
    Send,
    StepNode,
    StepProtocol,
)

_BSS = "Birman, Schiper & Stephenson 1991 (CBCAST)"
#: Send: the stamped message goes to every other member of the group.
SEND_RULE = f"{_BSS}: stamp the message with V after V[i] += 1 and send it to every member"
#: Persist of the delivery log: its entry carries out a vector-clock rule (V is rebuilt
#: from the log after a crash): TICK_RULE for an own broadcast, MERGE_RULE for another's.
LOG_RULES = (TICK_RULE, MERGE_RULE)
#: Note on delivery: the causal delivery condition held.
DELIVER_RULE = (f"causal delivery condition ({_BSS}): deliver m from j when W[j] = V[j] + 1 "
                "and W[k] <= V[k] for every k != j")
#: Note on delivery by the naive node: no condition at all.
NAIVE_DELIVER_RULE = ("naive broadcast: deliver on receipt (DDIA ch. 9: an answer can overtake "
                      "its question)")
#: Note on hold-back.
HOLD_BACK_RULE = (f"{_BSS}: a message that fails the delivery condition waits in the "
                  "hold-back buffer")
#: Note on a duplicate.
DUPLICATE_RULE = f"{_BSS}: a message already delivered or already held back is discarded"
#: Reply to the client that asked for the broadcast.
REPLY_RULE = f"{_BSS}: the sender delivers its own message at once; reply with its stamp"
#: Reply to an operation that is not a broadcast.
UNKNOWN_RULE = "causal broadcast offers one operation, broadcast; refuse anything else"



def format_stamp(stamp: Stamp) -> str:
    """``(("A", 1), ("B", 0))`` → ``"[A:1 B:0]"``."""
    return "[" + " ".join(f"{node}:{counter}" for node, counter in stamp) + "]"


@dataclass(frozen=True, slots=True, kw_only=True)
class Broadcast:
    """origin → every peer; causal broadcast (BSS 1991): carries ``text`` and ``vc``.

    ``vc`` is the origin's vector right after it counted this broadcast, as
    sorted ``(node, counter)`` pairs; ``vc[origin]`` is the message's sequence
    number among the origin's broadcasts.
    """

    origin: str
    text: str
    vc: Stamp

    @property
    def seq(self) -> int:
        """This message's number among its origin's broadcasts (1, 2, ...)."""
        return dict(self.vc).get(self.origin, 0)

    @property
    def msg_id(self) -> tuple[str, int]:
        """``(origin, seq)``: identifies the broadcast across duplicates."""
        return (self.origin, self.seq)

    def __str__(self) -> str:
        return f"Bcast({self.origin}#{self.seq} {self.text!r} {format_stamp(self.vc)})"


@dataclass(frozen=True, slots=True)
class CausalState:
    """One group member's state: its vector, its hold-back buffer, its delivery log.

    * ``clock`` (volatile) — sorted ``(node, counter)`` pairs; invariant:
      ``clock[k]`` == the number of broadcasts from ``k`` in ``delivered``.
    * ``held_back`` (volatile, lost in a crash) — received, not yet
      deliverable, in arrival order; invariant: none satisfies the condition.
    * ``delivered`` (durable, via ``Persist("delivered", ...)``) —
      ``(message, local time of delivery)`` in delivery order.
    """

    node_id: str
    peers: tuple[str, ...]
    clock: Stamp
    held_back: tuple[Broadcast, ...] = ()
    delivered: tuple[tuple[Broadcast, int], ...] = ()

    @property
    def delivered_ids(self) -> frozenset[tuple[str, int]]:
        """``(origin, seq)`` of every delivered message."""
        return frozenset(msg.msg_id for msg, _ in self.delivered)


class CausalBroadcast(StepProtocol[CausalState]):
    """Causal broadcast (BSS 1991) as a step protocol; inputs carry the local clock (``now``).

    ``clock_cls(counters)`` must build a clock from a ``{node: counter}`` dict
    and offer ``increment(node)``, ``merge(other_clock)``, ``as_dict()`` and
    ``str()``; the state keeps only its stamp, so a fresh clock is built for
    each change. ``condition(sender, msg_vc, local)`` decides deliverability.
    ``replies`` is the application: on delivering a message whose text is a
    key, broadcast the value.
    """

    def __init__(self, *, clock_cls: Callable[[Mapping[str, int]], Any] = VectorClock,
                 condition: DeliveryCondition = can_deliver,
                 replies: Mapping[str, str] | None = None) -> None:
        self.clock_cls = clock_cls
        self.condition = condition
        self.replies: Mapping[str, str] = dict(replies or {})
        naive = condition is deliver_on_receipt
        self.deliver_rule = NAIVE_DELIVER_RULE if naive else DELIVER_RULE

    # -- the step ---------------------------------------------------------------

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[CausalState, Effects]:
        """Boot, or recover the delivery log after a crash and rebuild the clock from it.

        One count per delivered broadcast per origin, so a restarted node
        neither renumbers its own broadcasts nor delivers a message twice.
        Held-back messages were in memory only: they are gone.
        """
        clock = self.clock_cls({n: 0 for n in sorted((node_id, *peers))})
        log = tuple(stored.get("delivered", ()))
        for msg, _at in log:
            clock.increment(msg.origin)
        return CausalState(node_id, peers, _stamp(clock), (), log), ()

    def step(self, state: CausalState, event: Input) -> tuple[CausalState, Effects]:
        """A broadcast request or a received message; the group has no timers."""
        now = event.now  # the node's local clock when the input arrived
        match event:
            case Request(request):
                return self.on_request(state, request, now)
            case Deliver(_, Broadcast() as msg):
                return self.on_receive(state, msg, now)
        return state, ()

    def on_request(self, state: CausalState, request: ClientRequest,
                   now: int) -> tuple[CausalState, Effects]:
        """``f="broadcast"``, ``value=text``: broadcast the text; reply with the stamp."""
        if request.f != "broadcast":
            return state, (Reply(request, f"unknown operation {request.f!r}; allowed: "
                                 "'broadcast'", ok=False, rule=UNKNOWN_RULE),)
        state, effects, msg = self.broadcast(state, str(request.value), now)
        return state, (*effects, Reply(request, format_stamp(msg.vc), rule=REPLY_RULE))

    def on_receive(self, state: CausalState, msg: Broadcast,
                   now: int) -> tuple[CausalState, Effects]:
        """Ignore duplicates; hold the message back; deliver whatever became deliverable."""
        if msg.msg_id in state.delivered_ids or msg in state.held_back:
            return state, (self._note(state, f"ignore duplicate {msg.origin}#{msg.seq}",
                                      DUPLICATE_RULE),)
        state = replace(state, held_back=(*state.held_back, msg))
        state, effects = self.deliver_ready(state, now)
        if msg in state.held_back:
            why = blocking_reason(msg.origin, dict(msg.vc), dict(state.clock))
            effects += (self._note(state, f"hold back {msg.origin}#{msg.seq} {msg.text!r}: "
                                   f"{why or 'not deliverable'}", HOLD_BACK_RULE),)
        return state, effects

    # -- the protocol -------------------------------------------------------------

    def broadcast(self, state: CausalState, text: str,
                  now: int) -> tuple[CausalState, Effects, Broadcast]:
        """Count the broadcast in our own entry (rule 1), deliver it here, send it to every peer."""
        clock = self._clock(state)
        clock.increment(state.node_id)
        msg = Broadcast(origin=state.node_id, text=text, vc=_stamp(clock))
        state, effects = self.deliver(replace(state, clock=msg.vc), msg, now)
        return state, effects + tuple(Send(p, msg, SEND_RULE) for p in state.peers), msg

    def deliver_ready(self, state: CausalState, now: int) -> tuple[CausalState, Effects]:
        """Deliver held-back messages the condition allows, until none is left that it allows."""
        effects: Effects = ()
        while ready := [m for m in state.held_back
                        if self.condition(m.origin, dict(m.vc), dict(state.clock))][:1]:
            msg = ready[0]
            rest = tuple(m for m in state.held_back if m is not msg)
            state, more = self.deliver(replace(state, held_back=rest), msg, now)
            effects += more
        return state, effects

    def deliver(self, state: CausalState, msg: Broadcast,
                now: int) -> tuple[CausalState, Effects]:
        """Hand ``msg`` to the application: merge its vector (merge rule), log it, run replies."""
        clock, rule = state.clock, TICK_RULE  # our own: broadcast() already ticked
        if msg.origin != state.node_id:
            merged = self._clock(state)
            merged.merge(self.clock_cls(dict(msg.vc)))
            clock, rule = _stamp(merged), MERGE_RULE
        state = replace(state, clock=clock, delivered=(*state.delivered, (msg, now)))
        effects: Effects = (
            Persist("delivered", state.delivered, rule),
            self._note(state, f"deliver {msg.origin}#{msg.seq} {msg.text!r} "
                       f"vc={self.clock_text(state)}", self.deliver_rule),
        )
        if msg.text in self.replies:
            state, more, _ = self.broadcast(state, self.replies[msg.text], now)
            effects += more
        return state, effects

    # -- display ------------------------------------------------------------------

    def clock_text(self, state: CausalState) -> str:
        """The clock as its class prints it: ``[A:1 B:0]``."""
        return str(self._clock(state))

    def view(self, state: CausalState) -> dict[str, Any]:
        """Vector clock, held-back and delivered messages (ids in delivery order), compactly.

        ``{"vc": "[A:1 B:1]", "held": "B#2", "delivered": "A#1 B#1"}`` — short
        enough for the cluster diagram.
        """
        return {"vc": self.clock_text(state), "held": _ids(state.held_back),
                "delivered": _ids(tuple(m for m, _ in state.delivered))}

    def describe(self, state: CausalState) -> str:
        """``vc=[A:1 B:0] held=[B#1] delivered=2``."""
        held = " ".join(f"{m.origin}#{m.seq}" for m in state.held_back)
        return f"vc={self.clock_text(state)} held=[{held}] delivered={len(state.delivered)}"

    def _clock(self, state: CausalState) -> Any:
        """A fresh clock of ``clock_cls`` holding the state's stamp."""
        return self.clock_cls(dict(state.clock))

    def _note(self, state: CausalState, text: str, rule: str) -> Note:
        return Note(text, rule)


class CausalBroadcastNode(StepNode[CausalState]):
    """A group member that delivers broadcasts in causal order: :class:`CausalBroadcast`.

    Same constructor as before the step protocol (so ``functools.partial``
    factories keep working); the attributes below are read-only views of
    :attr:`state`.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 clock_cls: Callable[[Mapping[str, int]], Any] = VectorClock,
                 condition: DeliveryCondition = can_deliver,
                 replies: Mapping[str, str] | None = None) -> None:
        self.causal = CausalBroadcast(clock_cls=clock_cls, condition=condition, replies=replies)
        super().__init__(node_id, peers, self.causal)

    def _now(self) -> CausalState:
        """The current state; before start, the boot state."""
        return self.booted()

    def describe(self) -> str:
        """The label of the state (of the boot state before start: the trace's start record)."""
        return self.protocol.describe(self.booted())

    @property
    def clock(self) -> Any:
        """A fresh ``clock_cls`` clock with the node's vector (changing it changes nothing)."""
        return self.causal.clock_cls(dict(self._now().clock))

    @property
    def held_back(self) -> tuple[Broadcast, ...]:
        """Received but not yet deliverable, in arrival order."""
        return self._now().held_back

    @property
    def delivered(self) -> tuple[Broadcast, ...]:
        """Every delivered message, in delivery order."""
        return tuple(msg for msg, _ in self._now().delivered)

    @property
    def delivered_at(self) -> tuple[int, ...]:
        """The local time of each delivery: ``delivered_at[k]`` is that of ``delivered[k]``."""
        return tuple(at for _, at in self._now().delivered)


class NaiveBroadcastNode(CausalBroadcastNode):
    """Delivers every broadcast on receipt — an answer can arrive before its question."""

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 clock_cls: Callable[[Mapping[str, int]], Any] = VectorClock,
                 replies: Mapping[str, str] | None = None) -> None:
        super().__init__(node_id, peers, clock_cls=clock_cls, condition=deliver_on_receipt,
                         replies=replies)


def _ids(messages: tuple[Broadcast, ...]) -> str:
    """``"Alice#1 Bob#1"``, or ``"none"``."""
    return " ".join(f"{m.origin}#{m.seq}" for m in messages) or "none"


def _stamp(clock: Any) -> Stamp:
    """A frozen copy of any clock with ``as_dict()``: sorted ``(node, counter)`` pairs."""
    return tuple(sorted(clock.as_dict().items()))
