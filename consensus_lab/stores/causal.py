"""A causally consistent key-value store: local reads and writes, causal broadcast between replicas.

Causal consistency (因果一致性; Ahamad et al. 1995, "Causal memory"; DDIA
ch. 9): if one operation could have influenced another — the same client
did it earlier, or the client had read its result — every client sees them
in that order. Operations that are *concurrent* (neither could have seen
the other) may be seen in different orders by different clients.

Theory of operation — this store *is* causal broadcast plus a dictionary:

* Every node is a replica; each client talks to one replica (its home).
  A **read** answers at once from the local copy. A **write** is applied
  locally at once, acknowledged, and broadcast to the other replicas as a
  :class:`CausalWrite` — a :class:`~consensus_lab.clocks.broadcast.Broadcast`
  that carries a key and a value.
* Replicas deliver writes with the causal delivery condition of
  :class:`~consensus_lab.clocks.broadcast.CausalBroadcastNode` (its rules —
  hold-back buffer, vector clock, :func:`~consensus_lab.clocks.causal.can_deliver`
  — restated here as pure steps, BSS 1991): a write waits until every write
  its writer had delivered before writing it has been delivered here. A
  client's own earlier writes and everything it had read were delivered at
  its home replica, so they are in that vector: **no replica ever shows an
  effect before its cause.**
* **Concurrent writes to one key** arrive in different orders at different
  replicas. How they resolve is the ``conflict`` policy:

  - ``"lww"`` (default) — every write carries a stamp ``(counter, node)``
    from a Lamport clock that never runs behind the node's local clock
    (``max(local time, highest stamp seen + 1)``, the idea of hybrid
    logical clocks, Kulkarni et al. 2014). A replica keeps the value with
    the highest stamp. A write made after seeing another has a higher
    stamp, so causality still wins; among concurrent writes the same one
    wins everywhere, so replicas **converge** ("causal+", Lloyd et al.
    2011, COPS). What remains: replicas still *pass through* concurrent
    writes in different orders, two keys can be seen updated in opposite
    orders (not sequential), reads can be stale (not linearizable), and the
    losing concurrent write silently disappears.
  - ``"last-applied"`` — a replica keeps whatever it delivered last. Still
    causal, but after concurrent writes replicas may **disagree forever**:
    causal consistency alone does not promise convergence.

Writes are acknowledged before any other replica has them, so a crash of
the home replica before its broadcast leaves can lose them.

As a step protocol (:mod:`consensus_lab.sim.step`): :class:`CausalStore` is
the pure rules over a frozen :class:`CausalState`; :class:`CausalNode` runs
them in the simulator. Durable state: the delivery log ``delivered`` (each
write with the local time it was delivered), persisted as each write is
delivered, before the sends and the reply that follow; the vector clock,
the dictionary and ``highest`` are rebuilt from it on restart. Volatile:
the hold-back buffer. The Lamport stamp reads the node's local clock from
the input (``event.now``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..clocks.broadcast import Broadcast, format_stamp
from ..clocks.causal import blocking_reason, can_deliver
from ..clocks.vector import Stamp as VectorStamp
from ..clocks.vector import VectorClock
from ..sim import ClientRequest, ConfigError
from ..sim.step import (
    Deliver,
    Effects,
    Fire,
    Input,
    Note,
    Persist,
    Reply,
    Request,
    Send,
    StepProtocol,
)
from .stepping import Pairs, StoreNode, get, put, unknown_op

OPS = ("read", "write")
CONFLICTS = ("lww", "last-applied")

#: A write's stamp: (Lamport counter, writer node id); totally ordered.
Stamp = tuple[int, str]

RULE_READ_LOCAL = ("causal memory (Ahamad et al. 1995): a read is answered from the local "
                   "copy at once; it may be stale, never an effect without its cause")
RULE_WRITE_LOCAL = ("causal memory: a write is applied at the local replica and acknowledged "
                    "at once, before any other replica has it")
RULE_BROADCAST = ("BSS 1991 causal broadcast: count the write in the writer's own vector "
                  "entry, deliver it locally, then send it to every peer")
RULE_LOG = ("causal broadcast: every delivered write joins the durable delivery log, "
            "replayed on restart")
RULE_DELIVER = ("BSS 1991: deliver a message once V[j] = local[j] + 1 for its sender j and "
                "V[k] <= local[k] for every other k; then merge its vector (DDIA ch. 9)")
RULE_HOLD_BACK = "BSS 1991: a message whose causes are not all delivered waits in the buffer"
RULE_DUPLICATE = "causal broadcast: a message already delivered or waiting is delivered once"


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalWrite(Broadcast):
    """writer's replica → every other replica: write ``key = value``, causal broadcast.

    Inherits ``origin``, ``text`` (``"key='value'"``, for the trace) and ``vc``
    (the writer's vector after counting this write) from :class:`Broadcast`;
    ``stamp`` orders concurrent writes under the ``"lww"`` policy.
    """

    key: Any
    value: Any
    stamp: Stamp

    def __str__(self) -> str:
        return (f"Write({self.origin}#{self.seq} {self.key}={self.value!r} "
                f"{format_stamp(self.vc)})")


@dataclass(frozen=True, slots=True)
class CausalState:
    """One replica of the causal store."""

    node_id: str
    peers: tuple[str, ...]
    # Durable: every write delivered here, with the local time of its delivery, in order.
    delivered: tuple[tuple[Broadcast, int], ...] = ()
    # Invariant: clock[k] == number of broadcasts from k in `delivered` (causal condition).
    clock: VectorStamp = ()
    # Volatile. Invariant: after every step, no held-back message is deliverable.
    held_back: tuple[Broadcast, ...] = ()
    data: Pairs = ()  # key -> (stamp, value) kept here (rebuilt from `delivered`)
    # Invariant: highest >= the counter of every stamp delivered here.
    highest: int = 0

    def counters(self) -> dict[str, int]:
        """The vector clock as a dict (a fresh one)."""
        return dict(self.clock)

    def value_of(self, key: Any) -> Any:
        """This replica's value of ``key`` (None if never written)."""
        return get(self.data, key, (None, None))[1]


Result = tuple[CausalState, Effects]


def _merged(clock: VectorStamp, other: VectorStamp) -> VectorStamp:
    """The element-wise maximum of two vector stamps (the first half of rule 2)."""
    both = dict(clock)
    for node, counter in other:
        both[node] = max(both.get(node, 0), counter)
    return tuple(sorted(both.items()))


def _counted(clock: VectorStamp, node: str) -> VectorStamp:
    """``clock`` with ``node``'s entry one higher (rule 1)."""
    return _merged(clock, ((node, dict(clock).get(node, 0) + 1),))


class CausalStore(StepProtocol[CausalState]):
    """The rules of the causal store (see the module docstring) as pure functions."""

    def __init__(self, conflict: str = "lww") -> None:
        if conflict not in CONFLICTS:
            raise ConfigError(f"unknown conflict policy {conflict!r}; "
                              f"allowed: {', '.join(CONFLICTS)}")
        self.conflict = conflict

    def start(self, node_id: str, peers: tuple[str, ...], stored: Any) -> Result:
        """Recover the delivery log; rebuild the clock and the dictionary from it.

        The clock counts one per delivered broadcast per origin, so a restarted
        node neither renumbers its own writes nor delivers one twice. Held-back
        messages were in memory only: they are gone, as after a real crash.
        """
        state = CausalState(node_id, peers, clock=tuple((n, 0) for n in sorted((node_id, *peers))))
        for msg, at in stored.get("delivered", ()):
            state = replace(state, delivered=(*state.delivered, (msg, at)),
                            clock=_counted(state.clock, msg.origin))
            if isinstance(msg, CausalWrite):
                state = self.apply(state, msg)
        return state, ()

    def step(self, state: CausalState, event: Input) -> Result:
        match event:
            case Request(request, now):
                return self.on_request(state, request, now)
            case Deliver(_, Broadcast() as msg, now):
                return self.on_broadcast(state, msg, now)
            case Deliver() | Fire():
                return state, ()
        raise TypeError(f"not an input: {event!r}")

    def on_request(self, state: CausalState, request: ClientRequest, now: int) -> Result:
        """Read: the local value. Write: apply, broadcast, answer — all at once."""
        if request.f not in OPS:
            return state, (unknown_op(request),)
        if request.f == "read":
            return state, (Reply(request, state.value_of(request.key), rule=RULE_READ_LOCAL),)
        state, _, effects = self.write(state, request.key, request.value, now)
        return state, (*effects, Reply(request, request.value, rule=RULE_WRITE_LOCAL))

    def write(self, state: CausalState, key: Any, value: Any,
              now: int) -> tuple[CausalState, CausalWrite, Effects]:
        """Count the write in our vector entry, stamp it, apply it here, send it to every peer."""
        state = replace(state, clock=_counted(state.clock, state.node_id))
        stamp = (max(now, state.highest + 1), state.node_id)
        msg = CausalWrite(origin=state.node_id, text=f"{key}={value!r}", vc=state.clock,
                          key=key, value=value, stamp=stamp)
        state, effects = self.deliver(state, msg, now)
        return state, msg, effects + tuple(Send(dst, msg, RULE_BROADCAST) for dst in state.peers)

    def on_broadcast(self, state: CausalState, msg: Broadcast, now: int) -> Result:
        """Ignore duplicates; hold the message back; deliver whatever became deliverable."""
        if msg.seq <= state.counters().get(msg.origin, 0) or msg in state.held_back:
            return state, (Note(f"ignore duplicate {msg.origin}#{msg.seq}", RULE_DUPLICATE),)
        state = replace(state, held_back=(*state.held_back, msg))
        state, effects = self.deliver_ready(state, now)
        if msg in state.held_back:
            why = blocking_reason(msg.origin, dict(msg.vc), state.counters())
            effects += (Note(f"hold back {msg.origin}#{msg.seq} {msg.text!r}: "
                             f"{why or 'not deliverable'}", RULE_HOLD_BACK),)
        return state, effects

    def deliver_ready(self, state: CausalState, now: int) -> Result:
        """Deliver held-back messages the condition allows, until none is left that it allows."""
        effects: Effects = ()
        ready = self._first_ready(state)
        while ready is not None:
            held = state.held_back
            state = replace(state, held_back=held[:ready] + held[ready + 1:])
            state, more = self.deliver(state, held[ready], now)
            effects += more
            ready = self._first_ready(state)
        return state, effects

    @staticmethod
    def _first_ready(state: CausalState) -> int | None:
        """The index of the first held-back message that can be delivered, if any."""
        for i, msg in enumerate(state.held_back):
            if can_deliver(msg.origin, dict(msg.vc), state.counters()):
                return i
        return None

    def deliver(self, state: CausalState, msg: Broadcast, now: int) -> Result:
        """Merge its vector, log it durably, then apply the write."""
        clock = state.clock if msg.origin == state.node_id else _merged(state.clock, msg.vc)
        state = replace(state, clock=clock, delivered=(*state.delivered, (msg, now)))
        effects: Effects = (
            Persist("delivered", state.delivered, RULE_LOG),
            Note(f"deliver {msg.origin}#{msg.seq} {msg.text!r} vc={format_stamp(clock)}",
                 RULE_DELIVER))
        if isinstance(msg, CausalWrite):
            state = self.apply(state, msg)
        return state, effects

    def apply(self, state: CausalState, msg: CausalWrite) -> CausalState:
        """The conflict rule: LWW keeps the higher stamp; last-applied keeps this one."""
        state = replace(state, highest=max(state.highest, msg.stamp[0]))
        current = get(state.data, msg.key)
        if self.conflict == "lww" and current is not None and current[0] > msg.stamp:
            return state
        return replace(state, data=put(state.data, msg.key, (msg.stamp, msg.value)))

    # -- display ------------------------------------------------------------------------

    def view(self, state: CausalState) -> dict[str, Any]:
        shown: dict[str, Any] = {str(k): repr(v) for k, (_, v) in state.data}
        shown["vc"] = format_stamp(state.clock)
        if state.held_back:
            shown["held"] = " ".join(f"{m.origin}#{m.seq}" for m in state.held_back)
        return shown


class CausalNode(StoreNode[CausalState]):
    """Replica of the causal store (see the module docstring).

    Client operations: ``read key`` → the local value (None if never
    written); ``write key value`` → the value, at once.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *, conflict: str = "lww") -> None:
        self.store = CausalStore(conflict)
        super().__init__(node_id, peers, self.store)

    @property
    def conflict(self) -> str:
        """The policy for concurrent writes to one key."""
        return self.store.conflict

    @property
    def clock(self) -> VectorClock:
        """The vector clock (a fresh copy)."""
        return VectorClock(self.current.counters())

    @property
    def held_back(self) -> list[Broadcast]:
        """Messages waiting for their causes, in arrival order (a fresh list)."""
        return list(self.current.held_back)

    @property
    def delivered(self) -> list[Broadcast]:
        """Every message delivered here, in delivery order."""
        return [m for m, _ in self.current.delivered]

    @property
    def delivered_at(self) -> list[int]:
        """The local time of each delivery, in delivery order."""
        return [at for _, at in self.current.delivered]

    @property
    def highest(self) -> int:
        """The highest stamp counter delivered here."""
        return self.current.highest

    def value_of(self, key: Any) -> Any:
        """This replica's value of ``key`` (None if never written)."""
        return self.current.value_of(key)

    def applied_order(self, key: Any) -> list[Any]:
        """The values of ``key`` in the order this replica delivered them."""
        return [m.value for m in self.writes() if m.key == key]

    def writes(self) -> list[CausalWrite]:
        """Every write delivered here, in delivery order."""
        return [m for m, _ in self.current.delivered if isinstance(m, CausalWrite)]
