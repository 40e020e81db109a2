"""The node interface as values: a node is a step function over a state value.

A protocol describes one kind of node by two pure functions (the shape of
etcd-io/raft's ``Ready`` and of stateright's ``Out``)::

    start(node_id, peers, stored)  -> (state, effects)   # boot, or recover after a crash
    step(state, input)             -> (state, effects)   # one input, handled

``state`` is an immutable, hashable value (a frozen dataclass or a tuple):
equal states behave the same, so a model checker can hash them directly.
``input`` is one of :class:`Deliver` (a message arrived), :class:`Fire` (a
timer went off) or :class:`Request` (a client operation arrived). Each
carries ``now``, the node's *local* clock when the input arrived (skew
included; 0 in the model checker, which has no time): the only way a
step function reads a clock.
``effects`` is a tuple of values that the caller carries out *in order*:
:class:`Persist` (write a durable field to stable storage), :class:`Send`,
:class:`SetTimer`, :class:`CancelTimer`, :class:`Reply`, :class:`Note`.
Nothing happens to the world until the caller does it, so the order a
protocol requires is in the return value for anyone to read (and for a
test to assert): Raft's ``Persist(current_term)`` comes before the
``Send`` of the vote that depends on it.

Durable and volatile state. What survives a crash is exactly what the node
wrote with :class:`Persist`, in the storage the caller keeps: a crash
throws the state value away, and ``start`` rebuilds a state from
``stored`` alone. So a node that forgets to persist a field loses it, as a
real server would.

Every effect carries ``rule``: the sentence of the paper it carries out
(``"Raft §5.3: reply false if log doesn't contain an entry at prevLogIndex
whose term matches prevLogTerm"``). The trace records it, and the player
shows it beside the event.

Randomness is an effect too: :class:`SetTimer` names a range of
durations, and whoever carries it out draws from it (the seeded simulator
from the node's random stream; the model checker ignores durations and
lets any live timer fire next).

:class:`StepNode` holds one node's protocol and current state in the
:class:`~.simulation.Simulation`, which steps it and carries out the
effects itself (:mod:`.stepping` says what each effect does).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar, dataclass_transform

from .history import ClientRequest
from .node import Node

__all__ = [
    "Call", "CancelTimer", "Deliver", "Effect", "Effects", "Fire", "Input", "Note", "Persist",
    "Reply", "Request", "Send", "SetTimer", "StepNode", "StepProtocol", "Value", "broadcast",
    "frozen", "timer",
]

S = TypeVar("S")


# ------------------------------------------------------------------ values
class Value:
    """Base of state and message classes made with :func:`frozen` (holds the cached hash)."""

    __slots__ = ("_hash",)


T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T] | None = None, /, *, order: bool = False, kw_only: bool = False) -> Any:
    """A frozen, slotted dataclass whose hash is computed once, then remembered.

    Use it (on a subclass of :class:`Value`) for node states and messages:
    a model checker hashes every world it meets, and a world is made of
    states and messages that mostly did not change, so remembering their
    hashes makes filing a world cheap. Equality (and with ``order=True``,
    ordering) is the dataclass's own; ``kw_only`` as for a dataclass.
    """
    def make(kind: type[T]) -> type[T]:
        if not issubclass(kind, Value):
            raise TypeError(f"@frozen needs a subclass of Value, got {kind.__name__}")
        made = dataclass(frozen=True, slots=True, order=order, kw_only=kw_only)(kind)
        fields_hash = made.__hash__

        def __hash__(self: Any) -> int:
            try:
                return self._hash  # type: ignore[no-any-return]
            except AttributeError:
                found = fields_hash(self)
                object.__setattr__(self, "_hash", found)
                return found

        made.__hash__ = __hash__  # type: ignore[method-assign]
        return made

    return make if cls is None else make(cls)


# ------------------------------------------------------------------ inputs
@dataclass(frozen=True, slots=True)
class Deliver:
    """The message ``msg`` from ``src`` arrived when the node's clock read ``now``."""

    src: str
    msg: Any
    now: int = 0


@dataclass(frozen=True, slots=True)
class Fire:
    """The timer ``name`` went off when the node's clock read ``now``."""

    name: str
    now: int = 0


@dataclass(frozen=True, slots=True)
class Request:
    """A client operation arrived (at local time ``now``); answer it with a :class:`Reply`."""

    request: ClientRequest
    now: int = 0


Input = Deliver | Fire | Request


# The simulator makes a Deliver or a Fire for every step, and protocols a Send
# for most messages. A frozen dataclass's own ``__init__`` writes each field
# through ``object.__setattr__`` by name, twice as slow as writing the slots
# through their descriptors, which these do (same fields, defaults and
# keywords; the classes stay frozen). Send's is set below its class.
def _quick_inits() -> None:
    set_src, set_msg, set_now = (getattr(Deliver, n).__set__ for n in ("src", "msg", "now"))
    set_name, set_fire_now = (getattr(Fire, n).__set__ for n in ("name", "now"))

    def deliver_init(self: Deliver, src: str, msg: Any, now: int = 0) -> None:
        set_src(self, src)
        set_msg(self, msg)
        set_now(self, now)

    def fire_init(self: Fire, name: str, now: int = 0) -> None:
        set_name(self, name)
        set_fire_now(self, now)

    Deliver.__init__ = deliver_init  # type: ignore[method-assign]
    Fire.__init__ = fire_init  # type: ignore[method-assign]


_quick_inits()
# ------------------------------------------------------------------ effects
@dataclass(frozen=True, slots=True)
class Persist:
    """Write ``value`` (immutable) under ``key`` in stable storage: it survives a crash."""

    key: str
    value: Any
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Send:
    """Put ``msg`` on the network to ``dst``."""

    dst: str
    msg: Any
    rule: str = ""


@dataclass(frozen=True, slots=True)
class SetTimer:
    """(Re)arm the timer ``name`` to fire after a duration in ``[low, high]`` ticks."""

    name: str
    low: int
    high: int
    rule: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.low <= self.high:
            raise ValueError(f"timer {self.name!r}: need 0 <= low <= high, "
                             f"got low={self.low}, high={self.high}")


@dataclass(frozen=True, slots=True)
class CancelTimer:
    """Forget the timer ``name`` (nothing happens if it is not set)."""

    name: str
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """Answer the client operation ``request``: ``ok`` with ``value``, or a failure."""

    request: ClientRequest
    value: Any = None
    ok: bool = True
    rule: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """Write ``text`` into the trace at this node (a history event for the reader)."""

    text: str
    rule: str = ""


def _quick_send_init() -> None:
    set_dst, set_msg, set_rule = (getattr(Send, n).__set__ for n in ("dst", "msg", "rule"))

    def send_init(self: Send, dst: str, msg: Any, rule: str = "") -> None:
        set_dst(self, dst)
        set_msg(self, msg)
        set_rule(self, rule)

    Send.__init__ = send_init  # type: ignore[method-assign]


_quick_send_init()

Effect = Persist | Send | SetTimer | CancelTimer | Reply | Note
Effects = tuple[Effect, ...]


def timer(name: str, after: int, rule: str = "") -> SetTimer:
    """A timer with a fixed duration: ``SetTimer(name, after, after)``."""
    return SetTimer(name, after, after, rule)


def broadcast(peers: tuple[str, ...], msg: Any, rule: str = "") -> Effects:
    """One :class:`Send` of ``msg`` to every peer, in sorted order."""
    return tuple(Send(dst, msg, rule) for dst in peers)


# ------------------------------------------------------------------ protocol
class StepProtocol(Generic[S]):
    """One kind of node as two pure functions over an immutable state ``S``.

    Subclasses hold only configuration (variant switches, timeouts): the
    protocol object is shared by every node of a run and never changes.
    """

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[S, Effects]:
        """The state after boot (``stored`` empty) or after a crash (what was persisted)."""
        raise NotImplementedError

    def step(self, state: S, event: Input) -> tuple[S, Effects]:
        """Handle one input: the next state and the effects to carry out, in order."""
        raise NotImplementedError

    def view(self, state: S) -> dict[str, Any]:
        """A small dict of the state worth showing in a table or diagram."""
        return {}

    def describe(self, state: S) -> str:
        """A one-line label of ``state`` (traces and diagrams)."""
        return ", ".join(f"{k}={v}" for k, v in self.view(state).items())


class Call(NamedTuple):
    """What a node method called from outside (``sim.call``) asks the simulator to do.

    Step the node on ``event`` (any input its protocol takes), then hand
    ``answer`` back to the caller: ``RaftNode.submit(command)`` is
    ``Call(Submit(command), (index, term, is_leader))``.
    """

    event: Any
    answer: Any = None


class StepNode(Node, Generic[S]):
    """A :class:`StepProtocol` as a node of the :class:`~.simulation.Simulation`.

    It holds the current state value in ``state``; the simulator steps the
    protocol and replaces it. ``last_effects`` holds what the most recent
    step returned (the player and the paper-rule tests read it).
    Subclasses add read-only properties over ``state`` for the invariants,
    diagrams and notebooks.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], protocol: StepProtocol[S]) -> None:
        super().__init__(node_id, peers)
        self.protocol = protocol
        self.state: S | None = None
        self.last_effects: Effects = ()
        self._described: tuple[S | None, str] = (None, "")  # see describe()

    def take(self, event: Any) -> Call:
        """Step on any input handed in from outside (``sim.call(node, "take", event)``):
        how a model checker's client input is replayed in a simulation."""
        return Call(event)

    #: Optional hook ``stepped(before, event)``, called after each step (``before``:
    #: the state it left) and after start (both None); for statistics and tests only.
    stepped: Any = None

    def booted(self) -> S:
        """The current state; before start, that of a fresh boot (nothing stored)."""
        if self.state is None:
            return self.protocol.start(self.node_id, self.peers, {})[0]
        return self.state

    def _state(self) -> S:
        if self.state is None:
            raise RuntimeError(f"{self.node_id}: a step before start")
        return self.state

    def view(self) -> dict[str, Any]:
        """The protocol's view of the current state."""
        return {} if self.state is None else self.protocol.view(self.state)

    def describe(self) -> str:
        """The protocol's one-line label of the current state.

        A traced run asks after every event; a state is a value, so the label of
        the state last described is kept and reused while the state stays the same.
        """
        state = self.state
        if state is None:
            return ""
        if state is not self._described[0]:
            self._described = (state, self.protocol.describe(state))
        return self._described[1]
