"""Running nodes in the simulator: boot one, hand it an input, carry out its effects.

A node is a :class:`~.step.StepNode`: a protocol and the node's current
state value. To boot it the simulator calls ``protocol.start`` with what
the node persisted; for every input (a message delivered, a timer fired,
a client request arrived) it calls ``protocol.step(state, input)``, puts
the new state in place and carries out the effects in order with
:func:`~.stepping.carry_out`, the function the model checker's world uses
too. :class:`NodeOut` is the simulator's side of that: a Persist goes to
the node's storage, a Send to the :class:`~.transport.Transport` (latency,
faults), a SetTimer draws its duration from the node's random stream, a
Reply travels back to the client, a Note goes into the trace.

Every input carries ``now``: the node's *local* clock (skew and drift
applied) when it arrived. That is the only clock a protocol reads.

Every node is a step node: an object that is not gets a clear error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError
from .node import Node
from .step import Call, StepNode
from .stepping import carry_out

__all__ = ["NodeOut", "RunnerHost", "boot", "call", "node_ids", "take"]

if TYPE_CHECKING:
    from .choices import ChoiceRandom
    from .clients import Clients
    from .clock import NodeClock
    from .history import ClientRequest
    from .transport import Transport


class RunnerHost(Protocol):
    """What running nodes needs from the simulation."""

    now: int
    nodes: dict[str, Node | None]
    _transport: Transport
    _clients: Clients
    _clocks: dict[str, NodeClock]
    _storage: dict[str, dict[str, Any]]
    _incarnations: dict[str, int]
    _timers: dict[str, dict[str, int]]
    _outs: dict[str, NodeOut]

    def _node_rng(self, node_id: str) -> ChoiceRandom: ...

    def _send(self, src: str, dst: str, msg: Any, rule: str = "") -> None: ...

    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None,
                rule: str = "") -> None: ...


class NodeOut:
    """One node's side of the simulated world (an :class:`~.stepping.Outbox`)."""

    __slots__ = ("_sim", "node")

    def __init__(self, sim: RunnerHost, node: str) -> None:
        self._sim = sim
        self.node = node

    def persist(self, key: str, value: Any) -> None:
        """Into the node's storage: the value is immutable, so no copy."""
        self._sim._storage[self.node][key] = value

    def send(self, dst: str, msg: Any, rule: str) -> None:
        """Onto the network (latency, drops, partitions: see :mod:`.transport`)."""
        self._sim._send(self.node, dst, msg, rule)

    def set_timer(self, name: str, low: int, high: int) -> None:
        """A duration drawn from the node's own random stream (none for a fixed one)."""
        after = low if low == high else self._sim._node_rng(self.node).randint(low, high)
        self._sim._transport.set_timer(self.node, name, after)

    def cancel_timer(self, name: str) -> None:
        self._sim._transport.cancel_timer(self.node, name)

    def reply(self, request: ClientRequest, value: Any, ok: bool) -> None:
        self._sim._clients.reply(self.node, request, value, ok)

    def note(self, text: str, rule: str) -> None:
        """A trace note, labelled with the state after the whole step."""
        self._sim._record("note", self.node, detail=text, rule=rule)


def boot(sim: RunnerHost, node_id: str, node: Node) -> None:
    """Start ``node`` from what ``node_id`` persisted and carry out its start effects."""
    sim._record("start", node_id)
    out = sim._outs[node_id] = NodeOut(sim, node_id)
    node = _step_node(node_id, node)
    stored = MappingProxyType(dict(sim._storage[node_id]))
    node.state, node.last_effects = node.protocol.start(node_id, node.peers, stored)
    carry_out(out, node.last_effects)
    if node.stepped is not None:
        node.stepped(None, None)


def take(sim: RunnerHost, node_id: str, node: Any, event: Any) -> None:
    """One step of ``node`` on ``event``: the new state in place, then its effects.

    The simulator's hot path: ``node`` is a step node (:func:`boot` checked it), and a step
    with no effects (many a delivery) carries nothing out.
    """
    before = node.state
    if before is None:
        raise RuntimeError(f"{node_id}: a step before start")
    node.state, effects = node.protocol.step(before, event)
    node.last_effects = effects
    if effects:
        carry_out(sim._outs[node_id], effects)
    if node.stepped is not None:
        node.stepped(before, event)


def call(sim: RunnerHost, node_id: str, node: Node, method: str, args: tuple[Any, ...]) -> Any:
    """Run ``node.method(*args)``; a :class:`~.step.Call` it returns is stepped, then answered."""
    handler = getattr(node, method, None)
    if not callable(handler):
        raise ConfigError(f"{type(node).__name__} has no method {method!r}")
    node = _step_node(node_id, node)
    result = handler(*args)
    if isinstance(result, Call):
        take(sim, node_id, node, _stamped(result.event, sim._clocks[node_id].local(sim.now)))
        return result.answer
    return result


def _stamped(event: Any, now: int) -> Any:
    """``event`` with the node's local clock in its ``now`` field, if it has one (every
    input carries the time it arrived, a called one too)."""
    return dataclasses.replace(event, now=now) if _has_now(type(event)) else event


_HAS_NOW: dict[type, bool] = {}  # per input class: looking at its fields costs more than a call


def _has_now(kind: type) -> bool:
    """Whether instances of ``kind`` are dataclasses with a ``now`` field."""
    found = _HAS_NOW.get(kind)
    if found is None:
        found = _HAS_NOW[kind] = dataclasses.is_dataclass(kind) and any(
            f.name == "now" for f in dataclasses.fields(kind))
    return found


def node_ids(node_ids: int | Iterable[str]) -> tuple[str, ...]:
    """The node ids of a run: ``n1 .. nN`` for an int, else the given ones, checked."""
    if isinstance(node_ids, int):
        if node_ids < 1:
            raise ConfigError(f"a simulation needs at least one node, got {node_ids}")
        return tuple(f"n{i}" for i in range(1, node_ids + 1))
    ids = tuple(node_ids)
    if not ids:
        raise ConfigError("a simulation needs at least one node, got an empty list")
    bad = [i for i in ids if not isinstance(i, str) or not i]
    if bad:
        raise ConfigError(f"node ids must be non-empty strings, got {bad[0]!r}")
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"duplicate node id {dupes[0]!r}: every node needs its own id")
    return ids


def _step_node(node_id: str, node: Node) -> StepNode[Any]:
    """``node``, which must be a step node."""
    if not isinstance(node, StepNode):
        raise ConfigError(f"node {node_id} is a {type(node).__name__}, not a StepNode: the "
                          "simulator runs step protocols (see consensus_lab.sim.step)")
    return node
