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
  :class:`~consensus_lab.clocks.broadcast.CausalBroadcastNode` (its
  hold-back buffer and vector clock are reused as they are, BSS 1991): a
  write waits until every write its writer had delivered before writing it
  has been delivered here. A client's own earlier writes and everything it
  had read were delivered at its home replica, so they are in that vector:
  **no replica ever shows an effect before its cause.**
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
the home replica before its broadcast leaves can lose them; the delivery
log is persisted (by the base class) and replayed on restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..clocks.broadcast import Broadcast, format_stamp
from ..clocks.legacy import LegacyCausalBroadcastNode as CausalBroadcastNode
from ..sim import ClientRequest, ConfigError, Context

OPS = ("read", "write")
CONFLICTS = ("lww", "last-applied")

#: A write's stamp: (Lamport counter, writer node id); totally ordered.
Stamp = tuple[int, str]


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


class CausalNode(CausalBroadcastNode):
    """Replica of the causal store (see the module docstring).

    Client operations: ``read key`` → the local value (None if never
    written); ``write key value`` → the value, at once.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *, conflict: str = "lww") -> None:
        super().__init__(node_id, peers)
        if conflict not in CONFLICTS:
            raise ConfigError(f"unknown conflict policy {conflict!r}; "
                              f"allowed: {', '.join(CONFLICTS)}")
        self.conflict = conflict
        self.data: dict[Any, tuple[Stamp, Any]] = {}  # key -> (stamp, value) kept here
        # Invariant: highest >= the counter of every stamp delivered here.
        self.highest = 0

    def on_start(self, ctx: Context) -> None:
        """Recover the delivery log (base class), then replay it into the dictionary."""
        super().on_start(ctx)
        for msg in self.delivered:
            if isinstance(msg, CausalWrite):
                self._apply(msg)

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        if request.f not in OPS:
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: {', '.join(OPS)}",
                      ok=False)
        elif request.f == "read":
            ctx.reply(request, self.value_of(request.key))
        else:
            self.write(ctx, request.key, request.value)
            ctx.reply(request, request.value)

    def write(self, ctx: Context, key: Any, value: Any) -> CausalWrite:
        """Count the write in our vector entry, stamp it, apply it here, send it to every peer."""
        self.clock.increment(self.node_id)
        stamp = (max(ctx.now, self.highest + 1), self.node_id)
        msg = CausalWrite(origin=self.node_id, text=f"{key}={value!r}",
                          vc=self.clock.as_pairs(), key=key, value=value, stamp=stamp)
        self._deliver(ctx, msg)
        ctx.broadcast(msg)
        return msg

    def _deliver(self, ctx: Context, msg: Broadcast) -> None:
        """Causal delivery as in the base class (merge, record, persist), then apply the write."""
        super()._deliver(ctx, msg)
        if isinstance(msg, CausalWrite):
            self._apply(msg)

    def _apply(self, msg: CausalWrite) -> None:
        """The conflict rule: LWW keeps the higher stamp; last-applied keeps this one."""
        self.highest = max(self.highest, msg.stamp[0])
        current = self.data.get(msg.key)
        if self.conflict == "lww" and current is not None and current[0] > msg.stamp:
            return
        self.data[msg.key] = (msg.stamp, msg.value)

    # -- display ------------------------------------------------------------------------

    def value_of(self, key: Any) -> Any:
        """This replica's value of ``key`` (None if never written)."""
        return self.data.get(key, (None, None))[1]

    def applied_order(self, key: Any) -> list[Any]:
        """The values of ``key`` in the order this replica delivered them."""
        return [m.value for m in self.writes() if m.key == key]

    def writes(self) -> list[CausalWrite]:
        """Every write delivered here, in delivery order."""
        return [m for m in self.delivered if isinstance(m, CausalWrite)]

    def view(self) -> dict[str, Any]:
        items = sorted(self.data.items(), key=lambda kv: repr(kv[0]))
        shown: dict[str, Any] = {str(k): repr(v) for k, (_, v) in items}
        shown["vc"] = str(self.clock)
        if self.held_back:
            shown["held"] = " ".join(f"{m.origin}#{m.seq}" for m in self.held_back)
        return shown

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.view().items())
