"""Sans-I/O nodes and the Context through which they act.

A node keeps all of its protocol state in attributes and reacts to four
calls: ``on_start``, ``on_message``, ``on_timer`` and ``on_request``. It
never touches a socket, a clock or a global random generator: everything it
does to the world goes through its :class:`Context` — send a message, set a
timer, persist state, reply to a client, write a note. Effects apply in the
order the node emits them, so state persisted before a send is on "disk"
before the message leaves.

Because a node is plain data plus pure-ish handlers, the simulator can run
it, crash it (throw the object away), restart it from what it persisted,
pause it, and a model checker can later explore its every schedule.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Hashable, Mapping
from enum import Enum
from types import BuiltinMethodType, FunctionType, MappingProxyType, MethodType
from typing import TYPE_CHECKING, Any, Protocol

from .history import ClientRequest

if TYPE_CHECKING:
    from .choices import ChoiceRandom
    from .clock import NodeClock


class Node:
    """Base class of every simulated node. Override the ``on_*`` handlers."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        self.node_id = node_id
        self.peers = tuple(sorted(peers))

    def on_start(self, ctx: Context) -> None:
        """Called at t=0 and after every restart (``ctx.stored`` holds what survived)."""

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """A message from ``src`` arrived."""

    def on_timer(self, ctx: Context, name: str) -> None:
        """The timer ``name`` set with ``ctx.set_timer`` fired."""

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """A client operation arrived; answer it with ``ctx.reply``."""
        ctx.reply(request, f"{type(self).__name__} takes no client requests", ok=False)

    def view(self) -> dict[str, Any]:
        """A small dict of the state worth showing in a table or diagram."""
        return {}

    def describe(self) -> str:
        """A one-line label of the node's state (used in traces and diagrams)."""
        return ", ".join(f"{k}={v}" for k, v in self.view().items())

    def state_key(self) -> Hashable:
        """A canonical, hashable snapshot of the attributes (see :func:`freeze`).

        Every attribute but ``node_id`` and ``peers``, which never change
        (the model checker files the key under the node's id anyway).

        The model checker (:mod:`consensus_lab.explore`) merges two states
        whose nodes have equal keys, so equal keys must mean "behaves the
        same from here on". A subclass may override this to leave out
        fields that never influence behaviour (statistics, caches), which
        lets more states merge; leaving out a field that does matter would
        hide bugs.
        """
        state = dict(vars(self))
        state.pop("node_id", None)
        state.pop("peers", None)
        return freeze(state)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node_id}>"


class ContextHost(Protocol):
    """What a :class:`Context` needs from the simulation that made it."""

    @property
    def now(self) -> int: ...

    @property
    def _clocks(self) -> Mapping[str, NodeClock]: ...

    @property
    def _storage(self) -> Mapping[str, dict[str, Any]]: ...

    def _node_rng(self, node_id: str) -> ChoiceRandom: ...

    def _send(self, src: str, dst: str, msg: Any, rule: str = "") -> None: ...

    def _set_timer(self, node: str, name: str, after: int) -> None: ...

    def _cancel_timer(self, node: str, name: str) -> None: ...

    def _reply(self, node: str, request: ClientRequest, value: Any, ok: bool) -> None: ...

    def _note(self, node: str, text: str, rule: str = "") -> None: ...


class Context:
    """What a node may do to the world: one per node incarnation.

    The simulator creates it; after a crash the old context is dead (its
    calls are ignored), so effects from a crashed node never leak.
    """

    __slots__ = ("node_id", "peers", "_sim", "alive", "_rng")

    def __init__(self, sim: ContextHost, node_id: str, peers: tuple[str, ...],
                 rng: ChoiceRandom | None = None) -> None:
        self.node_id = node_id
        self.peers = peers
        self._sim = sim
        self.alive = True  # the simulator sets False when this incarnation crashes
        self._rng = rng  # None: fetched from the simulator on first use

    @property
    def rng(self) -> ChoiceRandom:
        """The node's own random stream; every draw goes through the choice point."""
        if self._rng is None:
            self._rng = self._sim._node_rng(self.node_id)
        return self._rng

    @property
    def now(self) -> int:
        """The node's local clock: true time with its skew and drift applied."""
        return self._sim._clocks[self.node_id].local(self._sim.now)

    @property
    def stored(self) -> Mapping[str, Any]:
        """A read-only copy of everything this node persisted."""
        return MappingProxyType(copy.deepcopy(self._sim._storage[self.node_id]))

    def send(self, dst: str, msg: Any, rule: str = "") -> None:
        """Send ``msg`` to node ``dst`` over the network (``rule``: why, for the trace)."""
        if self.alive:
            self._sim._send(self.node_id, dst, msg, rule)

    def broadcast(self, msg: Any) -> None:
        """Send ``msg`` to every peer, in sorted order."""
        for dst in self.peers:
            self.send(dst, msg)

    def set_timer(self, name: str, after: int) -> None:
        """Fire ``on_timer(name)`` after ``after`` ticks of the local clock."""
        if self.alive:
            self._sim._set_timer(self.node_id, name, after)

    def cancel_timer(self, name: str) -> None:
        """Forget the timer ``name`` (no error if none is set)."""
        if self.alive:
            self._sim._cancel_timer(self.node_id, name)

    def persist(self, key: str, value: Any, *, immutable: bool = False) -> None:
        """Save ``value`` under ``key`` in stable storage; it survives a crash.

        The value is deep-copied, so later changes to the node's own objects
        never leak into "disk". Pass ``immutable=True`` for values that
        cannot change (tuples of frozen dataclasses, ints, strings) to skip
        the copy on hot paths such as a Raft log.
        """
        if self.alive:
            self._sim._storage[self.node_id][key] = value if immutable else copy.deepcopy(value)

    def reply(self, request: ClientRequest, value: Any = None, ok: bool = True) -> None:
        """Answer a client operation: ``ok`` with a result, or ``fail``."""
        if self.alive:
            self._sim._reply(self.node_id, request, value, ok)

    def note(self, text: str, rule: str = "") -> None:
        """Write a note into the trace at this node (``rule``: why)."""
        if self.alive:
            self._sim._note(self.node_id, text, rule)


# --------------------------------------------------------------- freeze
_Freezer = Callable[[Any], Hashable]
_FREEZERS: dict[type, _Freezer] = {}  # per type: how to freeze it (filled on first sight)
_ATOMIC = (type(None), bool, int, float, complex, str, bytes, range, type)


def freeze(value: Any) -> Hashable:
    """A hashable value equal for equal states, for comparing and hashing node state.

    Immutable scalars stay as they are; tuples and lists become tuples,
    sets frozensets, dicts frozensets of ``(key, value)`` pairs (order
    ignored, as ``==`` on dicts ignores it); hashable frozen dataclasses
    and enum members stay as they are; a method becomes its qualified name
    (``RaftNode._step_leader``: which handler is installed, not whose);
    any other object becomes its class name with its frozen attributes
    (``__dict__`` and ``__slots__``). Cyclic structures are not supported.
    """
    kind = type(value)
    freezer = _FREEZERS.get(kind)
    if freezer is None:
        freezer = _FREEZERS[kind] = _freezer_for(kind)
    return freezer(value)


def _freezer_for(kind: type) -> _Freezer:
    """Pick how to freeze values of ``kind`` (called once per type)."""
    if issubclass(kind, _ATOMIC) or issubclass(kind, Enum):
        return _same
    if issubclass(kind, tuple | list):
        return _freeze_sequence
    if issubclass(kind, set | frozenset):
        return _freeze_set
    if issubclass(kind, dict | MappingProxyType):
        return _freeze_mapping
    if issubclass(kind, MethodType | FunctionType | BuiltinMethodType):
        return _freeze_callable
    # __dataclass_params__ is set by @dataclass; typeshed does not declare it
    if dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return _freeze_frozen_dataclass
    return _freeze_object


def _same(value: Any) -> Hashable:
    return value  # type: ignore[no-any-return]  # hashable: its type was checked (a cast costs a call)


def _freeze_sequence(value: Any) -> Hashable:
    return tuple([freeze(item) for item in value])


def _freeze_set(value: Any) -> Hashable:
    return frozenset([freeze(item) for item in value])


def _freeze_mapping(value: Any) -> Hashable:
    return frozenset([(freeze(k), freeze(v)) for k, v in value.items()])


def _freeze_callable(value: Any) -> Hashable:
    function = getattr(value, "__func__", value)
    return ("callable", getattr(function, "__qualname__", repr(function)))


def _freeze_frozen_dataclass(value: Any) -> Hashable:
    try:
        hash(value)
    except TypeError:  # a frozen dataclass holding a list or a dict
        return _freeze_object(value)
    return value  # type: ignore[no-any-return]  # hash() just succeeded


def _freeze_object(value: Any) -> Hashable:
    fields = dict(getattr(value, "__dict__", {}))
    for klass in type(value).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                fields[slot] = getattr(value, slot)
    if not fields and not hasattr(value, "__dict__"):
        raise TypeError(f"cannot freeze a {type(value).__name__}: it has no attributes to "
                        "compare; override Node.state_key() to describe the state yourself")
    return (type(value).__qualname__, _freeze_mapping(fields))
