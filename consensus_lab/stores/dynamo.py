"""An AP key-value store in the style of Dynamo / Cassandra / Riak (DeCandia et al. 2007).

Theory of operation (DDIA ch. 5 "leaderless replication", ch. 9 CAP: the AP
side, "Cassandra accepts writes and may diverge"):

* **Replicas.** Each key lives on ``N`` replicas: its *preference list*, the
  ``N`` nodes that follow the key's hash on a ring of the sorted node ids
  (all nodes when ``N`` is None or the cluster size).
* **Any node coordinates.** A write goes to every replica of the key and is
  acknowledged once ``W`` replicas answered; a read asks every replica and
  answers from the first ``R`` replies. Nobody checks that the ``W`` acks
  come from a majority — only that ``W`` of the replicas this coordinator
  can *reach* answered — so with ``W = 1`` a write always succeeds on the
  coordinator's own side of a partition, and both sides keep accepting
  writes. That is the availability; divergence is the price.
* **Conflicts** are resolved by a :mod:`versions <consensus_lab.stores.versions>`
  policy: ``mode="lww"`` keeps the version with the highest
  ``(ctx.now, node id)`` stamp (so a node whose clock lags loses its writes),
  ``mode="siblings"`` keeps concurrent writes side by side as siblings.
* **Read repair** (on by default): after a read the coordinator sends the
  merged result to the replicas that answered with something older.
* **Anti-entropy** (off unless ``anti_entropy_every`` is set): every that
  many ticks a node pushes all its versions to one random peer, which
  merges them — how replicas converge after a partition heals.
  Hinted handoff is not implemented (anti-entropy covers convergence here).

A read or write that did not gather ``R`` / ``W`` replies within
``op_timeout`` gets ``fail`` for a read; a write stays unanswered (some
replicas may already hold it: outcome unknown, the client records ``info``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

from ..clocks.vector import VectorClock
from ..sim import ClientRequest, ConfigError, Context, Node
from .versions import (
    LWW_ZERO,
    Sibling,
    Versioned,
    Write,
    join_context,
    lww_merge,
    sibling_merge,
)

MODES = ("lww", "siblings")
OPS = ("read", "write")


@dataclass(frozen=True, slots=True, kw_only=True)
class DynamoConfig:
    """Replication settings; :meth:`check` validates them against the cluster size."""

    mode: str = "lww"
    n_replicas: int | None = None  # None: every node replicates every key
    r: int = 1
    w: int = 1
    read_repair: bool = True
    anti_entropy_every: int | None = None
    op_timeout: int = 200

    def check(self, cluster_size: int) -> int:
        """Raise ConfigError on a bad setting; return the effective N."""
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; allowed: {', '.join(MODES)}")
        n = cluster_size if self.n_replicas is None else self.n_replicas
        if not isinstance(n, int) or not 1 <= n <= cluster_size:
            raise ConfigError(f"n_replicas must be in [1, {cluster_size}] (the cluster size), "
                              f"got {self.n_replicas!r}")
        for name in ("r", "w"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 1 <= value <= n:
                raise ConfigError(f"{name} must be in [1, N={n}], got {value!r}")
        if self.anti_entropy_every is not None and (
                not isinstance(self.anti_entropy_every, int) or self.anti_entropy_every <= 0):
            raise ConfigError("anti_entropy_every must be a positive int or None, "
                              f"got {self.anti_entropy_every!r}")
        if not isinstance(self.op_timeout, int) or self.op_timeout <= 0:
            raise ConfigError(f"op_timeout must be a positive int, got {self.op_timeout!r}")
        return n


@dataclass(frozen=True, slots=True, kw_only=True)
class Put:
    """coordinator → replica, write or read repair: merge ``versions`` of ``key``.

    ``versions``: LWW ``((stamp, value),)``; siblings: a tuple of :class:`Sibling`.
    ``op_id`` 0 marks a read repair (no ack wanted).
    """

    op_id: int
    key: Any
    versions: tuple[Any, ...]

    def __str__(self) -> str:
        return f"Put#{self.op_id}({self.key}={_show(self.versions)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class PutAck:
    """replica → coordinator, write: the replica merged the versions of ``op_id``."""

    op_id: int

    def __str__(self) -> str:
        return f"PutOk#{self.op_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Get:
    """coordinator → replica, read: "send me your versions of ``key``"."""

    op_id: int
    key: Any

    def __str__(self) -> str:
        return f"Get#{self.op_id}({self.key})"


@dataclass(frozen=True, slots=True, kw_only=True)
class GetReply:
    """replica → coordinator, read: carries the replica's ``versions`` of the key."""

    op_id: int
    versions: tuple[Any, ...]

    def __str__(self) -> str:
        return f"GetOk#{self.op_id}({_show(self.versions)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync:
    """node → one random peer, anti-entropy: carries ``(key, versions)`` for every key."""

    items: tuple[tuple[Any, tuple[Any, ...]], ...]

    def __str__(self) -> str:
        return f"Sync({len(self.items)} keys)"


def _show(versions: tuple[Any, ...]) -> str:
    if versions and isinstance(versions[0], Sibling):
        return "{" + ", ".join(str(s) for s in versions) + "}"
    return ", ".join(f"{v!r}@{ts[0]}.{ts[1]}" for ts, v in versions) or "-"


@dataclass(slots=True)
class Pending:
    """One operation this node coordinates."""

    request: ClientRequest
    replicas: tuple[str, ...]
    acks: set[str] = field(default_factory=set)
    replies: dict[str, tuple[Any, ...]] = field(default_factory=dict)


class DynamoNode(Node):
    """Replica and coordinator of the AP store (see the module docstring).

    Client operations: ``read key`` → the value (LWW; None if never written)
    or a :class:`Versioned` (siblings); ``write key value`` → the value
    (siblings: ``value`` may be a :class:`Write` carrying a read's context).
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 config: DynamoConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or DynamoConfig()
        self.ring = tuple(sorted((node_id, *self.peers)))
        self.n = self.config.check(len(self.ring))
        self.data: dict[Any, tuple[Any, ...]] = {}  # key -> versions; persisted
        self.counter = 0  # siblings: the last dot counter this node issued; persisted
        self.last_stamp = LWW_ZERO[0]  # lww: the last local time this node stamped
        self.pending: dict[int, Pending] = {}
        self.next_op = 0

    # -- lifecycle ----------------------------------------------------------------

    def on_start(self, ctx: Context) -> None:
        self.data = dict(ctx.stored.get("data", {}))
        self.counter = ctx.stored.get("counter", 0)
        if self.config.anti_entropy_every:
            ctx.set_timer("anti-entropy", self.config.anti_entropy_every)

    def preference_list(self, key: Any) -> tuple[str, ...]:
        """The ``N`` replicas of ``key``: successors of its hash on the ring of node ids."""
        if self.n == len(self.ring):
            return self.ring
        start = zlib.crc32(repr(key).encode()) % len(self.ring)
        return tuple(self.ring[(start + i) % len(self.ring)] for i in range(self.n))

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        if request.f not in OPS:
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: {', '.join(OPS)}",
                      ok=False)
            return
        self.next_op += 1
        op_id, key = self.next_op, request.key
        self.pending[op_id] = Pending(request, self.preference_list(key))
        ctx.set_timer(f"op:{op_id}", self.config.op_timeout)
        if request.f == "write":
            msg: Any = Put(op_id=op_id, key=key, versions=(self._new_version(ctx, request),))
        else:
            msg = Get(op_id=op_id, key=key)
        self._to_replicas(ctx, self.pending[op_id].replicas, msg)

    def _new_version(self, ctx: Context, request: ClientRequest) -> Any:
        """Stamp a client's write: LWW (local time, id); siblings: a fresh dot."""
        value = request.value
        if self.config.mode == "lww":
            self.last_stamp = max(ctx.now, self.last_stamp + 1)
            return ((self.last_stamp, self.node_id), value)
        context = value.context if isinstance(value, Write) else ()
        value = value.value if isinstance(value, Write) else value
        self.counter = max(self.counter, VectorClock(context)[self.node_id]) + 1
        ctx.persist("counter", self.counter)
        return Sibling(value=value, dot=(self.node_id, self.counter), context=context)

    def on_timer(self, ctx: Context, name: str) -> None:
        if name == "anti-entropy":
            ctx.set_timer(name, self.config.anti_entropy_every or 1)
            if self.peers and self.data:
                items = tuple(sorted(self.data.items(), key=lambda kv: repr(kv[0])))
                ctx.send(ctx.rng.choice(self.peers), Sync(items=items))
            return
        op = self.pending.pop(int(name.split(":")[1]), None)
        if op is None:
            return
        if op.request.f == "read":
            ctx.reply(op.request, f"only {len(op.replies)} of R={self.config.r} replied",
                      ok=False)
        else:
            ctx.note(f"write {op.request.key} got {len(op.acks)} of W={self.config.w} acks")

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        if isinstance(msg, Put):
            self.merge(ctx, msg.key, msg.versions)
            if msg.op_id:
                self._reply_to(ctx, src, PutAck(op_id=msg.op_id))
        elif isinstance(msg, Get):
            self._reply_to(ctx, src, GetReply(op_id=msg.op_id,
                                              versions=self.data.get(msg.key, ())))
        elif isinstance(msg, PutAck):
            self._on_put_ack(ctx, src, msg)
        elif isinstance(msg, GetReply):
            self._on_get_reply(ctx, src, msg)
        elif isinstance(msg, Sync):
            for key, versions in msg.items:
                if self.node_id in self.preference_list(key):
                    self.merge(ctx, key, versions)

    # -- replica rule -----------------------------------------------------------------

    def merge(self, ctx: Context, key: Any, versions: tuple[Any, ...]) -> None:
        """Merge incoming versions of ``key`` into ours by the configured policy."""
        mine = self.data.get(key, ())
        merged = self.merge_versions(mine, versions)
        if merged != mine:
            self.data[key] = merged
            ctx.persist("data", self.data)

    def merge_versions(self, mine: tuple[Any, ...], theirs: tuple[Any, ...]) -> tuple[Any, ...]:
        """The versions to keep of ``mine`` and ``theirs`` under the configured policy."""
        if self.config.mode == "siblings":
            return sibling_merge(mine, theirs)
        best = mine[0] if mine else None
        for version in theirs:
            best = lww_merge(best, version)
        return () if best is None else (best,)

    # -- coordinator rules --------------------------------------------------------------

    def _on_put_ack(self, ctx: Context, src: str, msg: PutAck) -> None:
        op = self.pending.get(msg.op_id)
        if op is None:
            return
        op.acks.add(src)
        if len(op.acks) >= self.config.w:
            self._finish(ctx, msg.op_id)
            value = op.request.value
            ctx.reply(op.request, value.value if isinstance(value, Write) else value)

    def _on_get_reply(self, ctx: Context, src: str, msg: GetReply) -> None:
        op = self.pending.get(msg.op_id)
        if op is None:
            return
        op.replies[src] = msg.versions
        if len(op.replies) < self.config.r:
            return
        self._finish(ctx, msg.op_id)
        merged: tuple[Any, ...] = ()
        for versions in op.replies.values():
            merged = self.merge_versions(merged, versions)
        if self.config.read_repair:
            for replica, versions in sorted(op.replies.items()):
                if self.merge_versions(versions, merged) != versions:
                    self._reply_to(ctx, replica, Put(op_id=0, key=op.request.key,
                                                     versions=merged))
        ctx.reply(op.request, self.result_of(merged))

    def result_of(self, versions: tuple[Any, ...]) -> Any:
        """What a read answers for these merged versions."""
        if self.config.mode == "siblings":
            return Versioned(values=tuple(s.value for s in versions),
                             context=join_context(versions))
        return versions[0][1] if versions else None

    def _finish(self, ctx: Context, op_id: int) -> None:
        del self.pending[op_id]
        ctx.cancel_timer(f"op:{op_id}")

    # -- plumbing ---------------------------------------------------------------------

    def _to_replicas(self, ctx: Context, replicas: tuple[str, ...], msg: Any) -> None:
        """Send ``msg`` to each replica; this node handles its own copy at once."""
        for replica in replicas:
            self._reply_to(ctx, replica, msg)

    def _reply_to(self, ctx: Context, dst: str, msg: Any) -> None:
        if dst == self.node_id:
            self.on_message(ctx, dst, msg)
        else:
            ctx.send(dst, msg)

    def values_of(self, key: Any) -> tuple[Any, ...]:
        """The values this replica holds for ``key`` (one under LWW, any number of siblings)."""
        return tuple(self.result_of(self.data.get(key, ())).values
                     if self.config.mode == "siblings"
                     else [v for _, v in self.data.get(key, ())])

    def view(self) -> dict[str, Any]:
        return {str(k): _show(v) for k, v in sorted(self.data.items(), key=lambda kv: repr(kv[0]))}
