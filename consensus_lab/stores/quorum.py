"""A CP key-value register on majority quorums (ABD: Attiya, Bar-Noy & Dolev 1995).

Theory of operation (DDIA ch. 9, "linearizability" and "the cost of
linearizability"; the chapter's CP side of CAP, like etcd):

Every node is a *replica* holding, per key, a value and its timestamp
``(counter, writer)``; timestamps are totally ordered (counter first, then
the writer's node id breaks ties). Any node *coordinates* a client request
in two phases, each needing replies from a **majority** (n // 2 + 1) of all
replicas (itself included):

1. **Query** — ask every replica for its ``(timestamp, value)`` of the key;
   wait for a majority, take the highest.
2. **Store** — a *write* picks the new timestamp ``(highest counter + 1,
   coordinator)``; a *read* takes the highest pair it saw. Either way it
   sends ``Store`` to every replica (a replica keeps the pair only if its
   timestamp is higher than what it has) and waits for a majority of acks.
   Only then does it answer the client.

Any two majorities intersect, so a query always sees the latest completed
write; the read's write-back makes sure no later read can see an older
value than this one did. Together this makes reads and writes linearizable.

The price is availability: a coordinator that cannot reach a majority
cannot finish. After ``op_timeout`` it answers ``fail`` when nothing can
have happened (a read, or a write still in phase 1); a write whose Store
already left may still take effect later, so the coordinator stays silent
and the client's own timeout records ``info`` (outcome unknown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..sim import ClientRequest, ConfigError, Context, Node

#: A timestamp: (counter, writer node id). ``(0, "")`` is the initial value's.
Timestamp = tuple[int, str]
ZERO: Timestamp = (0, "")
OPS = ("read", "write")


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """coordinator → every replica, phase 1: "what is your timestamp and value of ``key``?"."""

    op_id: int
    key: Any

    def __str__(self) -> str:
        return f"Query#{self.op_id}({self.key})"


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryReply:
    """replica → coordinator, phase 1: carries the replica's ``ts`` and ``value`` of the key."""

    op_id: int
    ts: Timestamp
    value: Any

    def __str__(self) -> str:
        return f"QueryOk#{self.op_id}({self.ts[0]}.{self.ts[1]}={self.value!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """coordinator → every replica, phase 2: "keep ``value`` at ``ts`` if it is newer"."""

    op_id: int
    key: Any
    ts: Timestamp
    value: Any

    def __str__(self) -> str:
        return f"Store#{self.op_id}({self.key}={self.value!r} @{self.ts[0]}.{self.ts[1]})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreAck:
    """replica → coordinator, phase 2: the replica holds ``ts`` or newer for the key."""

    op_id: int

    def __str__(self) -> str:
        return f"StoreOk#{self.op_id}"


@dataclass(slots=True)
class Pending:
    """One operation this node coordinates."""

    request: ClientRequest
    phase: str = "query"  # "query" then "store"
    # Invariant: replies holds at most one entry per replica.
    replies: dict[str, tuple[Timestamp, Any]] = field(default_factory=dict)
    acks: set[str] = field(default_factory=set)
    result: Any = None


class QuorumNode(Node):
    """Replica and coordinator of the ABD register (see the module docstring).

    Client operations: ``read key`` → the value (None if never written);
    ``write key value`` → the value.
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 op_timeout: int = 200) -> None:
        super().__init__(node_id, peers)
        if not isinstance(op_timeout, int) or op_timeout <= 0:
            raise ConfigError(f"op_timeout must be a positive int of ticks, got {op_timeout!r}")
        self.op_timeout = op_timeout
        self.majority = (len(self.peers) + 1) // 2 + 1
        self.data: dict[Any, tuple[Timestamp, Any]] = {}  # key -> (ts, value); persisted
        self.pending: dict[int, Pending] = {}  # op id -> operation in flight (volatile)
        self.next_op = 0

    # -- lifecycle ----------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self.data = dict(ctx.stored.get("data", {}))

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        if request.f not in OPS:
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: {', '.join(OPS)}",
                      ok=False)
            return
        self.next_op += 1
        op_id = self.next_op
        self.pending[op_id] = Pending(request)
        ctx.set_timer(f"op:{op_id}", self.op_timeout)
        self._to_all(ctx, Query(op_id=op_id, key=request.key))

    def on_timer(self, ctx: Context, name: str) -> None:
        op = self.pending.pop(int(name.split(":")[1]), None)
        if op is None:
            return
        if op.request.f == "read" or op.phase == "query":
            ctx.reply(op.request, "no majority reachable", ok=False)
        else:
            ctx.note(f"write {op.request.key}={op.request.value!r} outcome unknown")

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, Query):
            ts, value = self.data.get(msg.key, (ZERO, None))
            self._reply_to(ctx, src, QueryReply(op_id=msg.op_id, ts=ts, value=value))
        elif isinstance(msg, Store):
            self._on_store(ctx, src, msg)
        elif isinstance(msg, QueryReply):
            self._on_query_reply(ctx, src, msg)
        elif isinstance(msg, StoreAck):
            self._on_store_ack(ctx, src, msg)

    # -- replica rules --------------------------------------------------------------

    def _on_store(self, ctx: Context, src: str, msg: Store) -> None:
        """Keep (ts, value) only if ts is newer than ours; ack either way."""
        if msg.ts > self.data.get(msg.key, (ZERO, None))[0]:
            self.data[msg.key] = (msg.ts, msg.value)
            ctx.persist("data", self.data)
        self._reply_to(ctx, src, StoreAck(op_id=msg.op_id))

    # -- coordinator rules ----------------------------------------------------------

    def _on_query_reply(self, ctx: Context, src: str, msg: QueryReply) -> None:
        op = self.pending.get(msg.op_id)
        if op is None or op.phase != "query":
            return
        op.replies[src] = (msg.ts, msg.value)
        if len(op.replies) < self.majority:
            return
        ts, value = max(op.replies.values(), key=lambda pair: pair[0])
        if op.request.f == "write":
            ts, value = (ts[0] + 1, self.node_id), op.request.value
        op.phase, op.result = "store", value
        self._to_all(ctx, Store(op_id=msg.op_id, key=op.request.key, ts=ts, value=value))

    def _on_store_ack(self, ctx: Context, src: str, msg: StoreAck) -> None:
        op = self.pending.get(msg.op_id)
        if op is None or op.phase != "store":
            return
        op.acks.add(src)
        if len(op.acks) >= self.majority:
            del self.pending[msg.op_id]
            ctx.cancel_timer(f"op:{msg.op_id}")
            ctx.reply(op.request, op.result)

    # -- plumbing ---------------------------------------------------------------------

    def _to_all(self, ctx: Context, msg: Any) -> None:
        """Send ``msg`` to every replica: this node handles its own copy at once."""
        self.on_message(ctx, self.node_id, msg)
        ctx.broadcast(msg)

    def _reply_to(self, ctx: Context, dst: str, msg: Any) -> None:
        if dst == self.node_id:
            self.on_message(ctx, dst, msg)
        else:
            ctx.send(dst, msg)

    def value_of(self, key: Any) -> tuple[Timestamp, Any]:
        """This replica's (timestamp, value) of ``key``."""
        return self.data.get(key, (ZERO, None))

    def view(self) -> dict[str, Any]:
        items = sorted(self.data.items(), key=lambda kv: repr(kv[0]))
        return {str(k): f"{v!r}@{ts[0]}.{ts[1]}" for k, (ts, v) in items}
