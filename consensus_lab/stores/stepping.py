"""What the store protocols share: frozen maps, the failure reply, the node adapter.

The stores are :class:`~consensus_lab.sim.step.StepProtocol` values: a state
is a frozen dataclass whose maps are tuples of ``(key, value)`` pairs sorted
by ``repr(key)`` (so equal maps are equal tuples, whatever the insertion
order), and every handler returns ``(state, effects)``.

Every input carries the node's local clock as ``now`` (Dynamo's LWW stamp
and the causal store's Lamport stamp read it; skewed, DDIA ch. 8), and
Dynamo's random anti-entropy peer comes from a generator in its state
(:func:`~.dynamo.next_gossip`), so every store steps on plain inputs.

:class:`StoreNode` is the :class:`~consensus_lab.sim.step.StepNode` of a
store; the per-store node classes subclass it with read-only
properties (``value_of``, ``log``, ...) that experiments and notebooks read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from ..sim.step import Reply, StepNode

if TYPE_CHECKING:
    from ..sim import ClientRequest

S = TypeVar("S")
#: A frozen map: ``(key, value)`` pairs sorted by ``repr(key)``, each key once.
Pairs = tuple[tuple[Any, Any], ...]

OPS = ("read", "write")
RULE_UNKNOWN_OP = "client API: a store serves read and write only; anything else fails"


def get(pairs: Pairs, key: Any, default: Any = None) -> Any:
    """The value of ``key`` in the frozen map ``pairs`` (``default`` if absent)."""
    for k, v in pairs:
        if k == key:
            return v
    return default


def put(pairs: Pairs, key: Any, value: Any) -> Pairs:
    """``pairs`` with ``key`` set to ``value`` (still sorted by ``repr(key)``)."""
    kept = tuple((k, v) for k, v in pairs if k != key)
    return tuple(sorted((*kept, (key, value)), key=lambda kv: repr(kv[0])))


def drop(pairs: Pairs, key: Any) -> Pairs:
    """``pairs`` without ``key``."""
    return tuple((k, v) for k, v in pairs if k != key)


def freeze_map(mapping: Any) -> Pairs:
    """A stored map (a dict from older runs, or pairs) as a sorted frozen map."""
    items = mapping.items() if hasattr(mapping, "items") else mapping
    return tuple(sorted(((k, v) for k, v in items), key=lambda kv: repr(kv[0])))


def unknown_op(request: ClientRequest) -> Reply:
    """The failure reply to an operation no store serves."""
    return Reply(request, f"unknown operation {request.f!r}; allowed: {', '.join(OPS)}",
                 ok=False, rule=RULE_UNKNOWN_OP)


class StoreNode(StepNode[S]):
    """A store protocol in the simulation (subclasses add read-only properties)."""

    def view(self) -> dict[str, Any]:
        """The protocol's view; before start, a fresh boot's (the trace's start shows it)."""
        if self.state is None:
            return self.protocol.view(self.protocol.start(self.node_id, self.peers, {})[0])
        return self.protocol.view(self.state)

    def describe(self) -> str:
        """The protocol's one-line label; before start, that of a fresh boot."""
        if self.state is None:
            return self.protocol.describe(self.protocol.start(self.node_id, self.peers, {})[0])
        return self.protocol.describe(self.state)

    @property
    def current(self) -> S:
        """The current state value (an error before start)."""
        return self._state()
