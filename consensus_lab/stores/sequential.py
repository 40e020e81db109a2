"""A sequentially consistent key-value store: one sequencer orders writes, reads stay local.

Sequential consistency (順序一致性; Lamport 1979, "How to Make a
Multiprocessor Computer That Correctly Executes Multiprocess Programs"):
"the result of any execution is the same as if the operations of all the
processors were executed in some sequential order, and the operations of
each individual processor appear in this sequence in the order specified
by its program." Unlike linearizability, that one order need not agree with
real time *between* clients: a read may return an old value long after
another client's write finished, as long as everybody sees the writes in the
same order and nobody sees their own past undone.

Theory of operation (the shape of ZooKeeper: Hunt et al. 2010 — writes go
through one leader, every server answers reads from its own copy):

* Every node is a **replica** holding a copy of every key. One node (by
  default the first id, ``n1``) is also the **sequencer**.
* Each client talks to one replica (its *home*; ``c1`` → ``n1`` in the
  experiments). A **read** is answered at once from that replica's copy: no
  message leaves the node, so reads are as fast as they can be — and may be
  stale.
* A **write** goes from the home replica to the sequencer
  (:class:`OrderWrite`). The sequencer numbers it with the next sequence
  number and sends :class:`ApplyWrite` to every replica (itself included).
* A replica **applies writes strictly in sequence-number order**: one that
  arrives early waits in ``held`` until the gap before it is filled, and a
  duplicate is ignored. So every replica applies the same writes in the same
  order: one total order of writes.
* The home replica **acknowledges a write when it applies it itself**. So
  the client's next read (at the same replica) sees its own write and
  everything ordered before it: program order is kept.

Why this is sequential but not linearizable: put each read right after the
last write its replica had applied when it answered. Reads of one client
move forward through the sequence (its replica only moves forward), and a
write is acknowledged only after its replica got that far, so each client's
operations appear in program order. But a replica that has not yet received
``ApplyWrite`` still answers with the old value after another client's write
completed: a stale read, which linearizability forbids.

Not fault tolerant (deliberately): nothing is persisted and a lost message
is never resent, so a crashed sequencer or a dropped ``ApplyWrite`` stops
the writes. Replacing the sequencer safely is consensus (notebooks 05–08).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import ClientRequest, ConfigError, Context, Node

OPS = ("read", "write")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderWrite:
    """home replica → sequencer, write phase 1: "give this write a place in the order".

    ``origin`` and ``op_id`` name the client's write at its home replica, so
    the origin recognises it when it comes back as :class:`ApplyWrite`.
    """

    origin: str
    op_id: int
    key: Any
    value: Any

    def __str__(self) -> str:
        return f"Order({self.origin}#{self.op_id} {self.key}={self.value!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyWrite:
    """sequencer → every replica, write phase 2: "apply this write as number ``seq``"."""

    seq: int
    origin: str
    op_id: int
    key: Any
    value: Any

    def __str__(self) -> str:
        return f"Apply(#{self.seq} {self.key}={self.value!r})"


class SequentialNode(Node):
    """Replica (and, on one node, sequencer) of the sequential store (see the module docstring).

    Client operations: ``read key`` → the value at this replica (None if never
    written); ``write key value`` → the value, once this replica applied it.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 sequencer: str | None = None) -> None:
        super().__init__(node_id, peers)
        everyone = tuple(sorted((node_id, *self.peers)))
        self.sequencer = everyone[0] if sequencer is None else sequencer
        if self.sequencer not in everyone:
            raise ConfigError(f"sequencer must be one of the nodes {', '.join(everyone)}, "
                              f"got {sequencer!r}")
        self.data: dict[Any, Any] = {}  # key -> value after the first `applied_seq` writes
        # Invariant: log[i].seq == i + 1 and applied_seq == len(log): applied in order, no gaps.
        self.log: list[ApplyWrite] = []
        self.applied_seq = 0
        # Invariant: every held seq > applied_seq + 1 (the next one would have been applied).
        self.held: dict[int, ApplyWrite] = {}
        self.waiting: dict[int, ClientRequest] = {}  # op id -> a client write not yet applied
        self.next_op = 0
        self.next_seq = 0  # sequencer only: the last sequence number handed out

    @property
    def is_sequencer(self) -> bool:
        """True on the one node that numbers the writes."""
        return self.node_id == self.sequencer

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        if request.f not in OPS:
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: {', '.join(OPS)}",
                      ok=False)
            return
        if request.f == "read":
            ctx.reply(request, self.data.get(request.key))  # local: no round trip, maybe stale
            return
        self.next_op += 1
        self.waiting[self.next_op] = request
        order = OrderWrite(origin=self.node_id, op_id=self.next_op, key=request.key,
                           value=request.value)
        if self.is_sequencer:
            self.on_message(ctx, self.node_id, order)
        else:
            ctx.send(self.sequencer, order)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, OrderWrite):
            self._on_order(ctx, msg)
        elif isinstance(msg, ApplyWrite):
            self._on_apply(ctx, msg)

    # -- sequencer rule ---------------------------------------------------------------

    def _on_order(self, ctx: Context, msg: OrderWrite) -> None:
        """Give the write the next sequence number; apply it here, then send it to everyone."""
        if not self.is_sequencer:
            ctx.note(f"ignore {msg}: {self.sequencer} is the sequencer")
            return
        self.next_seq += 1
        apply = ApplyWrite(seq=self.next_seq, origin=msg.origin, op_id=msg.op_id,
                           key=msg.key, value=msg.value)
        self._on_apply(ctx, apply)
        ctx.broadcast(apply)

    # -- replica rules ----------------------------------------------------------------

    def _on_apply(self, ctx: Context, msg: ApplyWrite) -> None:
        """Hold the write until every earlier number is applied; then apply in order."""
        if msg.seq <= self.applied_seq or msg.seq in self.held:
            ctx.note(f"ignore duplicate #{msg.seq}")
            return
        self.held[msg.seq] = msg
        while self.applied_seq + 1 in self.held:
            self._apply(ctx, self.held.pop(self.applied_seq + 1))
        if self.held:
            ctx.note(f"hold #{', #'.join(map(str, sorted(self.held)))}: "
                     f"waits for #{self.applied_seq + 1}")

    def _apply(self, ctx: Context, msg: ApplyWrite) -> None:
        """Apply the next write; acknowledge it if one of this replica's clients wrote it."""
        self.data[msg.key] = msg.value
        self.log.append(msg)
        self.applied_seq = msg.seq
        if msg.origin == self.node_id and msg.op_id in self.waiting:
            ctx.reply(self.waiting.pop(msg.op_id), msg.value)

    # -- display ------------------------------------------------------------------------

    def value_of(self, key: Any) -> Any:
        """This replica's value of ``key`` (None if never written)."""
        return self.data.get(key)

    def versions(self) -> dict[Any, list[Any]]:
        """Per key, the values in the order this replica applied them (the sequencer's order)."""
        order: dict[Any, list[Any]] = {}
        for msg in self.log:
            order.setdefault(msg.key, []).append(msg.value)
        return order

    def view(self) -> dict[str, Any]:
        shown = {str(k): repr(v) for k, v in sorted(self.data.items(), key=lambda kv: repr(kv[0]))}
        shown["applied"] = f"#{self.applied_seq}"
        if self.held:
            shown["held"] = " ".join(f"#{s}" for s in sorted(self.held))
        return shown
