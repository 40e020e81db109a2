"""TEMPORARY: nodes that act through a context, until Multi-Paxos is a step protocol.

Multi-Paxos (:mod:`consensus_lab.paxos.multi`) is still a node object with
``on_start/on_message/on_timer/on_request(ctx, ...)`` handlers that act
through a :class:`Context`. This adapter runs such a node in the
simulator. Every other node is a :class:`~.step.StepNode`. The lead deletes
this module (and the ``Context`` export) once Multi-Paxos lands as a step
protocol; nothing new may use it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from .step import Deliver, Fire, Request

if TYPE_CHECKING:
    from .choices import ChoiceRandom
    from .clock import NodeClock
    from .history import ClientRequest
    from .node import Node
    from .stepping import Outbox

__all__ = ["Context", "LegacyHost"]


class LegacyHost(Protocol):
    """What a :class:`Context` needs from the simulation that made it."""

    now: int
    _contexts: dict[str, Context]
    _incarnations: dict[str, int]
    _clocks: dict[str, NodeClock]
    _storage: dict[str, dict[str, Any]]

    def _node_rng(self, node_id: str) -> ChoiceRandom: ...


class Context:
    """What a legacy node may do to the world: one per node incarnation.

    After a crash the old context is dead (its calls are ignored), so
    effects from a crashed incarnation never leak.
    """

    __slots__ = ("node_id", "peers", "_sim", "_out", "_incarnation")

    def __init__(self, sim: LegacyHost, node_id: str, peers: tuple[str, ...],
                 out: Outbox) -> None:
        self.node_id = node_id
        self.peers = peers
        self._sim = sim
        self._out = out
        self._incarnation = sim._incarnations[node_id]

    @property
    def alive(self) -> bool:
        """True while the incarnation this context was made for is the node's current one."""
        return self._sim._incarnations[self.node_id] == self._incarnation

    @property
    def rng(self) -> ChoiceRandom:
        """The node's own random stream; every draw goes through the choice point."""
        return self._sim._node_rng(self.node_id)

    @property
    def now(self) -> int:
        """The node's local clock."""
        return self._sim._clocks[self.node_id].local(self._sim.now)

    @property
    def stored(self) -> Mapping[str, Any]:
        """A read-only copy of everything this node persisted."""
        return MappingProxyType(copy.deepcopy(self._sim._storage[self.node_id]))

    def send(self, dst: str, msg: Any, rule: str = "") -> None:
        if self.alive:
            self._out.send(dst, msg, rule)

    def broadcast(self, msg: Any) -> None:
        for dst in self.peers:
            self.send(dst, msg)

    def set_timer(self, name: str, after: int) -> None:
        if self.alive:
            self._out.set_timer(name, after, after)

    def cancel_timer(self, name: str) -> None:
        if self.alive:
            self._out.cancel_timer(name)

    def persist(self, key: str, value: Any, *, immutable: bool = False) -> None:
        if self.alive:
            self._out.persist(key, value if immutable else copy.deepcopy(value))

    def reply(self, request: ClientRequest, value: Any = None, ok: bool = True) -> None:
        if self.alive:
            self._out.reply(request, value, ok)

    def note(self, text: str, rule: str = "") -> None:
        if self.alive:
            self._out.note(text, rule)


def start(sim: LegacyHost, node_id: str, node: Node, out: Outbox) -> None:
    """Make the incarnation's context and call ``on_start``."""
    ctx = sim._contexts[node_id] = Context(sim, node_id, node.peers, out)
    handler = getattr(node, "on_start", None)  # every handler is optional, as it was
    if handler is not None:
        handler(ctx)


def take(sim: LegacyHost, node_id: str, node: Node, event: Any) -> None:
    """Hand one input to the matching ``on_*`` handler."""
    ctx = sim._contexts[node_id]
    if isinstance(event, Deliver):
        if (on_message := getattr(node, "on_message", None)) is not None:
            on_message(ctx, event.src, event.msg)
    elif isinstance(event, Fire):
        if (on_timer := getattr(node, "on_timer", None)) is not None:
            on_timer(ctx, event.name)
    elif isinstance(event, Request):
        handler = getattr(node, "on_request", None)
        if handler is None:
            ctx.reply(event.request, f"{type(node).__name__} takes no client requests", ok=False)
        else:
            handler(ctx, event.request)
    else:
        raise TypeError(f"{node_id}: a legacy node takes Deliver, Fire or Request, "
                        f"got {event!r}")


def call(sim: LegacyHost, node_id: str, handler: Any, args: tuple[Any, ...]) -> Any:
    """``handler(ctx, *args)``: a method called from outside, with the node's context."""
    return handler(sim._contexts[node_id], *args)

