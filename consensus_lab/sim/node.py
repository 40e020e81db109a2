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
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .history import ClientRequest

if TYPE_CHECKING:
    from .choices import ChoiceRandom
    from .simulation import Simulation


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

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node_id}>"


class Context:
    """What a node may do to the world: one per node incarnation.

    The simulator creates it; after a crash the old context is dead (its
    calls are ignored), so effects from a crashed node never leak.
    """

    __slots__ = ("node_id", "peers", "_sim", "alive", "rng")

    def __init__(self, sim: Simulation, node_id: str, peers: tuple[str, ...],
                 rng: ChoiceRandom) -> None:
        self.node_id = node_id
        self.peers = peers
        self._sim = sim
        self.alive = True  # the simulator sets False when this incarnation crashes
        self.rng = rng

    @property
    def now(self) -> int:
        """The node's local clock: true time with its skew and drift applied."""
        return self._sim._clocks[self.node_id].local(self._sim.now)

    @property
    def stored(self) -> Mapping[str, Any]:
        """A read-only copy of everything this node persisted."""
        return MappingProxyType(copy.deepcopy(self._sim._storage[self.node_id]))

    def send(self, dst: str, msg: Any) -> None:
        """Send ``msg`` to node ``dst`` over the network."""
        if self.alive:
            self._sim._send(self.node_id, dst, msg)

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

    def note(self, text: str) -> None:
        """Write a note into the trace at this node."""
        if self.alive:
            self._sim._note(self.node_id, text)
