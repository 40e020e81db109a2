"""The world as a value: node states, storage, messages in flight, live timers.

A :class:`World` is an immutable, hashable tuple; equal worlds behave the
same, so a model checker files them by their own hash (no fingerprint
code), and a search keeps millions of them. It holds, per node (in the
order of :attr:`Model.ids`):

* ``states`` — the node's state value, or ``None`` while it is crashed;
* ``stored`` — what it wrote with :class:`~.step.Persist` (sorted
  ``(key, value)`` pairs): the only thing a crash leaves;
* ``timers`` — the names of its live timers (sorted);

and for the whole system:

* ``net`` — the messages in flight as a multiset: ``(dst, src, msg)``
  packets in a canonical order (two copies of one message are two
  entries), so two worlds with the same messages are equal whatever order
  they were sent in;
* ``ghost`` — what an *observer* remembers about the run so far (for
  invariants about the past, such as "an entry once committed"); ``()``
  when the model has none.

Time is not in the world: in the asynchronous model any live timer may
fire next and any message may overtake another. The seeded simulator
keeps time beside the world; the model checker lets every order happen.

A :class:`Model` is the static part — which protocol each node runs, and
the observer — with the two functions every search and every run share:
:meth:`Model.moves` (what may happen next) and :meth:`Model.apply` (make
it happen). Faults are moves too (crash, restart, reboot, drop,
duplicate), as is a client's input; which of them a search allows, and how
many, is the search's business.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .errors import ConfigError, UnknownNodeError
from .step import Deliver, Effects, Fire, Input, StepProtocol
from .stepping import carry_out

__all__ = ["Model", "Move", "Observer", "Packet", "World"]

Packet = tuple[str, str, Any]  # (dst, src, msg)
Stored = tuple[tuple[str, Any], ...]
#: ``observe(ghost, node_id, state, effects) -> ghost`` after every step of a node.
Observer = Callable[[Any, str, Any, Effects], Any]

_KEYS: dict[Packet, str] = {}  # packet -> its canonical sort key (repr), computed once


def packet_key(packet: Packet) -> str:
    """The packet's place in the canonical order of ``net`` (its repr, remembered)."""
    key = _KEYS.get(packet)
    if key is None:
        key = _KEYS[packet] = repr(packet)
    return key


class World(NamedTuple):
    """One global state (see the module docstring)."""

    states: tuple[Any, ...]
    stored: tuple[Stored, ...]
    timers: tuple[tuple[str, ...], ...]
    net: tuple[Packet, ...]
    ghost: Any = ()


class Move(NamedTuple):
    """One thing that may happen next.

    ``kind`` is ``deliver`` (``packet``), ``fire`` (``node``'s timer
    ``name``), ``input`` (hand ``node`` the input ``value``, e.g. a client
    request), ``crash``, ``restart``, ``reboot`` (``node``), ``drop`` or
    ``duplicate`` (``packet``: lose it, or deliver it and keep a copy).
    """

    kind: str
    node: str
    packet: Packet | None = None
    name: str = ""
    value: Any = None

    def __str__(self) -> str:
        if self.packet is not None:
            dst, src, msg = self.packet
            verb = {"deliver": "deliver", "drop": "drop", "duplicate": "duplicate"}[self.kind]
            return f"{verb} {src}->{dst} {msg}"
        if self.kind == "fire":
            return f"fire {self.node} timer {self.name}"
        if self.kind == "input":
            return f"input {self.node} {self.value}"
        return f"{self.kind} {self.node}"


class Model:
    """Which protocol each node runs, and the functions that move a world."""

    #: A delivery or timer move changes only its own node (and adds messages): the
    #: premise of the explorer's sleep sets. A model of coarser moves says False.
    local_steps = True

    def __init__(self, protocols: Mapping[str, StepProtocol[Any]],
                 observe: Observer | None = None, ghost: Any = ()) -> None:
        if not protocols:
            raise ConfigError("a model needs at least one node, got none")
        self.ids: tuple[str, ...] = tuple(protocols)
        self.protocols: tuple[StepProtocol[Any], ...] = tuple(protocols.values())
        self.index: dict[str, int] = {node: i for i, node in enumerate(self.ids)}
        self.peers: tuple[tuple[str, ...], ...] = tuple(
            tuple(sorted(other for other in self.ids if other != node)) for node in self.ids)
        self.observe = observe
        self.ghost = ghost  # the observer's memory before anything happened

    # ----------------------------------------------------------- reading
    def node(self, world: World, node_id: str) -> Any:
        """The state of ``node_id`` in ``world`` (``None`` if it is crashed)."""
        return world.states[self._at(node_id)]

    @staticmethod
    def observed(world: World) -> Any:
        """What the observer remembers in ``world`` (what invariants about the past read)."""
        return world.ghost

    def up(self, world: World) -> tuple[str, ...]:
        """The nodes that are not crashed."""
        return tuple(n for n, s in zip(self.ids, world.states, strict=True) if s is not None)

    def _at(self, node_id: str) -> int:
        try:
            return self.index[node_id]
        except KeyError:
            raise UnknownNodeError(f"unknown node {node_id!r}; this model has "
                                   f"{', '.join(self.ids)}") from None

    # ----------------------------------------------------------- the start
    def initial(self) -> World:
        """Every node booted with empty storage, its start effects carried out."""
        n = len(self.ids)
        world = World((None,) * n, ((),) * n, ((),) * n, (), self.ghost)
        for node_id in self.ids:
            world = self._start(world, self.index[node_id])
        return world

    # ----------------------------------------------------------- what may happen
    def moves(self, world: World) -> list[Move]:
        """Every delivery and every live timer, in a canonical order.

        A message to a crashed node may be delivered too: it is lost there,
        as in the simulator ("node down"); it may also wait for the restart.
        Two copies of one message are one move (delivering either leads to
        the same world). Faults and inputs are the caller's to add.
        """
        found: list[Move] = []
        last: Packet | None = None
        for packet in world.net:
            if packet != last:
                found.append(Move("deliver", packet[0], packet))
            last = packet
        states = world.states
        for node_id, names, state in zip(self.ids, world.timers, states, strict=True):
            if state is not None:
                found.extend(Move("fire", node_id, name=name) for name in names)
        return found

    # ----------------------------------------------------------- making it happen
    def apply(self, world: World, move: Move) -> tuple[World, Effects]:
        """The world after ``move``, and the effects the node's step returned."""
        kind = move.kind
        if kind == "deliver":
            assert move.packet is not None
            dst, src, msg = move.packet
            i = self.index[dst]
            if world.states[i] is None:  # lost: the node is down
                return self._without(world, move.packet), ()
            return self._step(self._without(world, move.packet), i, Deliver(src, msg))
        if kind == "fire":
            i = self.index[move.node]
            timers = world.timers[i]
            if move.name not in timers:
                raise ConfigError(f"{move.node} has no live timer {move.name!r}; "
                                  f"live: {', '.join(timers) or 'none'}")
            left = tuple(t for t in timers if t != move.name)
            return self._step(world._replace(timers=_put(world.timers, i, left)), i,
                              Fire(move.name))
        if kind == "input":
            return self._step(world, self._at(move.node), move.value)
        if kind == "drop":
            assert move.packet is not None
            return self._without(world, move.packet), ()
        if kind == "duplicate":
            assert move.packet is not None
            dst, src, msg = move.packet
            return self._step(world, self.index[dst], Deliver(src, msg))
        i = self._at(move.node)
        if kind == "crash":
            return self._crash(world, i), ()
        if kind == "restart":
            if world.states[i] is not None:
                raise ConfigError(f"{move.node} is up: only a crashed node restarts")
            return self._start(world, i), ()
        if kind == "reboot":
            return self._start(self._crash(world, i), i), ()
        raise ConfigError(f"unknown move kind {kind!r}; allowed: deliver, fire, input, "
                          "drop, duplicate, crash, restart, reboot")

    def _crash(self, world: World, i: int) -> World:
        """The node loses its state and its timers; its storage and the network stay."""
        if world.states[i] is None:
            raise ConfigError(f"{self.ids[i]} has crashed already")
        return world._replace(states=_put(world.states, i, None),
                              timers=_put(world.timers, i, ()))

    def _start(self, world: World, i: int) -> World:
        node_id = self.ids[i]
        state, effects = self.protocols[i].start(node_id, self.peers[i], dict(world.stored[i]))
        return self._carry_out(world, i, state, effects)

    def _step(self, world: World, i: int, event: Input) -> tuple[World, Effects]:
        state = world.states[i]
        if state is None:
            raise ConfigError(f"{self.ids[i]} is crashed: it cannot take a step")
        state, effects = self.protocols[i].step(state, event)
        return self._carry_out(world, i, state, effects), effects

    def _carry_out(self, world: World, i: int, state: Any, effects: Effects) -> World:
        """Put ``state`` in place and do ``effects`` to the world, in order."""
        me = self.ids[i]
        out = _WorldOut(me, world.stored[i], world.timers[i])
        carry_out(out, effects)
        stored = world.stored if out.stored is world.stored[i] else _put(
            world.stored, i, out.stored)
        timers = world.timers
        if out.names is not None:
            timers = _put(timers, i, tuple(sorted(out.names)))
        net = world.net
        if out.sent:
            merged = list(net)
            for packet in out.sent:
                insort(merged, packet, key=packet_key)
            net = tuple(merged)
        ghost = world.ghost if self.observe is None else self.observe(
            world.ghost, me, state, effects)
        return World(_put(world.states, i, state), stored, timers, net, ghost)

    @staticmethod
    def _without(world: World, packet: Packet) -> World:
        net = world.net
        try:
            at = net.index(packet)
        except ValueError:
            raise ConfigError(f"no message {packet!r} in flight") from None
        return world._replace(net=net[:at] + net[at + 1:])


class _WorldOut:
    """One node's side of a world while its effects are carried out (an :class:`Outbox`)."""

    __slots__ = ("me", "stored", "timers", "names", "sent")

    def __init__(self, me: str, stored: Stored, timers: tuple[str, ...]) -> None:
        self.me = me
        self.stored = stored
        self.timers = timers
        self.names: list[str] | None = None  # the live timers, once one changed
        self.sent: list[Packet] = []

    def persist(self, key: str, value: Any) -> None:
        self.stored = _store(self.stored, key, value)

    def send(self, dst: str, msg: Any, rule: str) -> None:
        self.sent.append((dst, self.me, msg))

    def set_timer(self, name: str, low: int, high: int) -> None:
        if self.names is None:
            self.names = list(self.timers)
        if name not in self.names:
            self.names.append(name)

    def cancel_timer(self, name: str) -> None:
        if self.names is None:
            self.names = list(self.timers)
        if name in self.names:
            self.names.remove(name)

    def reply(self, request: Any, value: Any, ok: bool) -> None:
        """A reply leaves the world: the checker's observer reads it in the effects."""

    def note(self, text: str, rule: str) -> None:
        """The checker keeps no trace."""


def _put(values: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    """``values`` with position ``i`` replaced."""
    return values[:i] + (value,) + values[i + 1:]


def _store(stored: Stored, key: str, value: Any) -> Stored:
    """``stored`` with ``key`` set to ``value`` (kept sorted by key)."""
    items = [item for item in stored if item[0] != key]
    items.append((key, value))
    items.sort(key=_first)
    return tuple(items)


def _first(item: tuple[str, Any]) -> str:
    return item[0]

