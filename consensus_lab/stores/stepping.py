"""What the store protocols share: frozen maps, the local-clock input, the node adapter.

The stores are :class:`~consensus_lab.sim.step.StepProtocol` values: a state
is a frozen dataclass whose maps are tuples of ``(key, value)`` pairs sorted
by ``repr(key)`` (so equal maps are equal tuples, whatever the insertion
order), and every handler returns ``(state, effects)``.

Two stores need more than the input itself:

* **the node's local clock** — Dynamo's LWW stamp and the causal store's
  Lamport stamp read the wall clock of the node (skewed, DDIA ch. 8). A
  step function cannot read a clock, so the reading is part of the input:
  :class:`Local` wraps an input with ``now``. A bare input counts as ``now = 0``.
* **a random peer** — Dynamo's anti-entropy pushes to one random peer
  (Dynamo §4.7 gossip). The choice is an input as well: a protocol says which
  peers it would pick among (:meth:`StoreProtocol.random_peer_among`), the
  node draws one from its seeded stream (:meth:`StoreNode.prepare`) exactly
  where the old code called ``ctx.rng.choice``, and hands it over as
  ``Local.peer``. A model checker
  can instead try every peer.

:class:`StoreNode` is the :class:`~consensus_lab.sim.step.StepNode` that
supplies both; the per-store node classes subclass it with read-only
properties (``value_of``, ``log``, ...) that experiments and notebooks read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ..sim.step import Effects, Input, Reply, StepNode, StepProtocol

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


@dataclass(frozen=True, slots=True)
class Local:
    """An input plus what the node read off its own hardware when it arrived.

    ``now``: the node's local clock (skew and drift applied). ``peer``: the
    random peer drawn for this step, or None when the protocol asked for none.
    """

    event: Input
    now: int = 0
    peer: str | None = None


def unwrap(event: Input | Local) -> tuple[Input, int, str | None]:
    """``(input, now, peer)`` of a wrapped or a bare input (bare: ``now = 0``, no peer)."""
    if isinstance(event, Local):
        return event.event, event.now, event.peer
    return event, getattr(event, "now", 0), None


class StoreProtocol(StepProtocol[S]):
    """A step protocol whose inputs may come wrapped in :class:`Local`."""

    def random_peer_among(self, state: S, event: Input) -> tuple[str, ...]:
        """The peers to draw one from before handling ``event`` (none by default)."""
        return ()

    def step(self, state: S, event: Input | Local) -> tuple[S, Effects]:
        """Handle one input, maybe wrapped with the local clock and a random peer."""
        raise NotImplementedError


class StoreNode(StepNode[S]):
    """A store protocol in the simulation: every input carries the node's local clock."""

    protocol: StoreProtocol[S]

    def __init__(self, node_id: str, peers: tuple[str, ...], protocol: StoreProtocol[S]) -> None:
        super().__init__(node_id, peers, protocol)

    def prepare(self, event: Input, rng: Any) -> Local:
        """The input with its local clock and, if the protocol asks for one, a random peer.

        The simulator calls this before each step with the node's random
        stream (``rng.choice``: the draw the stores have always made, so
        seeded runs keep their digests). Temporary: until the stores pick
        their gossip peer without a wrapped input.
        """
        among = self.protocol.random_peer_among(self._state(), event)
        return Local(event, event.now, rng.choice(among) if among else None)

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
