"""A small Spanner-like store: shards, a leader per shard, commit wait, snapshot reads.

Theory of operation
-------------------
Keys are split over ``shards``; each shard is a group of ``replicas`` nodes
(``n1…n3`` for shard 0, ``n4…n6`` for shard 1, …) whose first node is the
shard's leader. A client sends a read-write transaction (its writes, all on
one shard) to that leader, which

1. takes the write locks of its keys (two-phase locking: a conflicting
   transaction waits in line; §4.1.2 "after all locks have been acquired");
2. replicates the writes to its replicas and waits for a majority
   (``Replicate`` → ``Replicated``): the writes are durable;
3. picks the commit timestamp ``s = TT.now().latest`` (and above its last
   one: :func:`~.truetime.commit_timestamp`, §4.1.2 "Start");
4. **commit wait**: holds the locks and the reply until ``TT.after(s)``
   (:func:`~.truetime.commit_wait_over`, §4.1.2 "Commit Wait") — about 2ε;
5. applies the writes at version ``s``, tells the replicas (``Commit``),
   answers the client with ``s`` and releases the locks.

With ``overlap=True`` the leader picks ``s`` before replicating, so the
wait runs while the Paxos messages travel, as Spanner does (§4.2.1: "this
wait is typically overlapped with Paxos communication"); the default keeps
the two apart so that the cost of commit wait shows on its own.

A snapshot read ``read(key, ts)`` returns the value of the newest version at
or below ``ts``. The leader answers once ``ts`` is safe (§4.1.3): ``TT.after(ts)``
holds, so every later commit gets a larger timestamp, and no transaction
whose timestamp is at or below ``ts`` is still waiting to apply. Without a
``ts`` it reads at ``TT.now().latest`` (a strong read, §4.1.4).

What is simplified, honestly: a shard's leader is fixed (no elections, no
leader leases, no crashes: nothing is persisted), the "Paxos group" is one
round of majority replication from that leader, and a transaction touches
one shard (cross-shard transactions need two-phase commit over the groups,
§4.2.1 — see :mod:`consensus_lab.commit`). None of that changes the point
made here: timestamps come from clocks, and commit wait is what makes them
agree with real time.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..sim import ClientRequest, ConfigError, Context, Node
from .messages import Commit, Replicate, Replicated
from .truetime import TrueTime, TTInterval, commit_timestamp, commit_wait_over, wait_ticks

TimestampRule = Callable[[TTInterval, int], int]
WaitRule = Callable[[TTInterval, int], bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpannerConfig:
    """The store's shape and rules; the rules are swappable for the exercise."""

    epsilon: int = 5  # TrueTime's assumed error bound ε, ms
    shards: int = 2
    replicas: int = 3  # nodes per shard, the first one leads
    commit_wait: bool = True
    overlap: bool = False  # pick s before replicating (Spanner §4.2.1) instead of after
    timestamp_rule: TimestampRule = commit_timestamp
    wait_rule: WaitRule = commit_wait_over

    def __post_init__(self) -> None:
        TrueTime(self.epsilon)  # validates epsilon
        for name in ("shards", "replicas"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"SpannerConfig.{name} must be an int >= 1, got {value!r}")

    @property
    def node_ids(self) -> tuple[str, ...]:
        """Every node of every shard: ``n1 … n(shards * replicas)``."""
        return tuple(f"n{i}" for i in range(1, self.shards * self.replicas + 1))

    def shard_nodes(self, shard: int) -> tuple[str, ...]:
        """The nodes of ``shard``, its leader first."""
        if not 0 <= shard < self.shards:
            raise ConfigError(f"shard must be in [0, {self.shards - 1}], got {shard!r}")
        first = shard * self.replicas + 1
        return tuple(f"n{i}" for i in range(first, first + self.replicas))

    def leader(self, shard: int) -> str:
        """The fixed leader of ``shard``."""
        return self.shard_nodes(shard)[0]

    def shard_of_node(self, node_id: str) -> int:
        """Which shard ``node_id`` belongs to."""
        return (int(node_id[1:]) - 1) // self.replicas

    def shard_of(self, key: str) -> int:
        """The shard that holds ``key`` (a stable hash, the same on every run)."""
        if not isinstance(key, str) or not key:
            raise ConfigError(f"keys must be non-empty strings, got {key!r}")
        return zlib.crc32(key.encode()) % self.shards


@dataclass(slots=True)
class Txn:
    """A read-write transaction at its leader, from lock to reply."""

    id: int
    request: ClientRequest
    writes: tuple[tuple[str, Any], ...]
    acks: set[str] = field(default_factory=set)
    durable: bool = False  # a majority logged the writes
    ts: int | None = None  # the commit timestamp s, once picked

    @property
    def keys(self) -> frozenset[str]:
        """The keys this transaction writes (and locks)."""
        return frozenset(k for k, _ in self.writes)


class SpannerNode(Node):
    """A member of one shard: its leader (first node) or a replica."""

    def __init__(self, node_id: str, peers: tuple[str, ...], config: SpannerConfig) -> None:
        super().__init__(node_id, peers)
        self.config = config
        self.tt = TrueTime(config.epsilon)
        self.shard = config.shard_of_node(node_id)
        self.group = tuple(n for n in config.shard_nodes(self.shard) if n != node_id)
        self.is_leader = config.leader(self.shard) == node_id
        # versions[key] = [(ts, value), ...] in rising ts order
        self.versions: dict[str, list[tuple[int, Any]]] = {}
        self.log: dict[int, tuple[tuple[str, Any], ...]] = {}  # replica: logged writes
        self.last_ts = 0  # Invariant: every timestamp this leader assigned is <= last_ts
        self.queue: list[Txn] = []  # waiting for locks, in arrival order
        self.active: dict[int, Txn] = {}  # holding locks, not yet answered
        self.locked: set[str] = set()
        self.reads: list[tuple[ClientRequest, str, int]] = []  # snapshot reads not yet safe

    # ------------------------------------------------------------ client side
    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """``txn`` (value = ((key, value), …)) or ``read`` (key, value = ts or None)."""
        if not self.is_leader:
            leader = self.config.leader(self.shard)
            ctx.reply(request, {"error": f"not the leader of shard {self.shard}",
                                "leader": leader}, ok=False)
        elif request.f == "txn":
            self._request_txn(ctx, request)
        elif request.f == "read":
            self._request_read(ctx, request)
        else:
            ctx.reply(request, {"error": f"unknown operation {request.f!r}; "
                                "allowed: txn, read"}, ok=False)

    def _request_txn(self, ctx: Context, request: ClientRequest) -> None:
        problem = self._bad_writes(request.value)
        if problem:
            ctx.reply(request, {"error": problem}, ok=False)
            return
        writes = tuple((k, v) for k, v in request.value)
        self.queue.append(Txn(id=request.id, request=request, writes=writes))
        self._start_unblocked(ctx)

    def _bad_writes(self, writes: Any) -> str:
        if not isinstance(writes, tuple | list) or not writes:
            return f"a txn needs a non-empty tuple of (key, value) writes, got {writes!r}"
        for write in writes:
            if not isinstance(write, tuple | list) or len(write) != 2:
                return f"each write must be a (key, value) pair, got {write!r}"
            key = write[0]
            if not isinstance(key, str) or not key or self.config.shard_of(key) != self.shard:
                return f"key {key!r} is not on shard {self.shard}; a txn writes one shard"
        return ""

    def _request_read(self, ctx: Context, request: ClientRequest) -> None:
        ts = request.value
        if ts is None:
            ts = self.tt.now(ctx).latest  # a strong read at TT.now().latest (§4.1.4)
        if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
            ctx.reply(request, {"error": f"a read timestamp must be an int >= 0 or None, "
                                f"got {ts!r}"}, ok=False)
            return
        if not isinstance(request.key, str) or self.config.shard_of(request.key) != self.shard:
            ctx.reply(request, {"error": f"key {request.key!r} is not on shard "
                                f"{self.shard}"}, ok=False)
            return
        self.reads.append((request, request.key, ts))
        self._serve_reads(ctx)

    # ------------------------------------------------------------ the commit
    def _start_unblocked(self, ctx: Context) -> None:
        """Lock and start every queued txn whose keys are free (earlier ones keep priority)."""
        claimed = set(self.locked)
        waiting: list[Txn] = []
        for txn in self.queue:
            if txn.keys & claimed:
                waiting.append(txn)
            else:
                self._start(ctx, txn)
            claimed |= txn.keys
        self.queue = waiting

    def _start(self, ctx: Context, txn: Txn) -> None:
        self.locked |= txn.keys
        self.active[txn.id] = txn
        if self.config.overlap:
            self._pick_timestamp(ctx, txn)
        for replica in self.group:
            ctx.send(replica, Replicate(txn=txn.id, writes=txn.writes, ts=txn.ts))
        self._check_durable(ctx, txn)

    def _pick_timestamp(self, ctx: Context, txn: Txn) -> None:
        now = self.tt.now(ctx)
        txn.ts = self.config.timestamp_rule(now, self.last_ts)
        self.last_ts = max(self.last_ts, txn.ts)
        ctx.note(f"T{txn.id} s={txn.ts} (TT.now()={now})")

    def _check_durable(self, ctx: Context, txn: Txn) -> None:
        majority = self.config.replicas // 2 + 1
        if txn.durable or 1 + len(txn.acks) < majority:
            return
        txn.durable = True
        if txn.ts is None:
            self._pick_timestamp(ctx, txn)
        self._maybe_finish(ctx, txn)

    def _maybe_finish(self, ctx: Context, txn: Txn) -> None:
        """Finish once durable and, with commit wait on, once ``TT.after(s)``."""
        if not txn.durable or txn.ts is None:
            return
        now = self.tt.now(ctx)
        if self.config.commit_wait and not self.config.wait_rule(now, txn.ts):
            # The library's rule turns true in wait_ticks; another rule (the exercise's)
            # is asked again at every tick of the local clock.
            own_rule = self.config.wait_rule is commit_wait_over
            ctx.set_timer(f"wait T{txn.id}", max(1, wait_ticks(now, txn.ts)) if own_rule else 1)
            return
        self._finish(ctx, txn)

    def _finish(self, ctx: Context, txn: Txn) -> None:
        assert txn.ts is not None
        self._apply(txn.writes, txn.ts)
        for replica in self.group:
            ctx.send(replica, Commit(txn=txn.id, ts=txn.ts))
        ctx.note(f"T{txn.id} visible at s={txn.ts} (TT.now()={self.tt.now(ctx)})")
        ctx.reply(txn.request, txn.ts)
        del self.active[txn.id]
        self.locked -= txn.keys
        self._start_unblocked(ctx)
        self._serve_reads(ctx)

    def _apply(self, writes: tuple[tuple[str, Any], ...], ts: int) -> None:
        for key, value in writes:
            self.versions.setdefault(key, []).append((ts, value))
            self.versions[key].sort(key=lambda version: version[0])

    # ------------------------------------------------------------ snapshot reads
    def read_at(self, key: str, ts: int) -> tuple[Any, int]:
        """``(value, version_ts)`` of the newest version of ``key`` at or below ``ts``."""
        found: tuple[Any, int] = (None, 0)
        for version_ts, value in self.versions.get(key, []):
            if version_ts <= ts:
                found = (value, version_ts)
        return found

    def safe(self, ctx: Context, ts: int) -> bool:
        """Can a snapshot read at ``ts`` be served now (Spanner §4.1.3, t_safe)?"""
        if not self.tt.after(ctx, ts):
            return False
        return all(txn.ts is None or txn.ts > ts for txn in self.active.values())

    def _serve_reads(self, ctx: Context) -> None:
        waiting = []
        for request, key, ts in self.reads:
            if self.safe(ctx, ts):
                ctx.reply(request, self.read_at(key, ts))
            else:
                waiting.append((request, key, ts))
        self.reads = waiting
        now = self.tt.now(ctx)
        ticks = [wait_ticks(now, ts) for _, _, ts in waiting if not now.after(ts)]
        if ticks:  # reads held only by a transaction in flight wait for its _finish
            ctx.set_timer("reads", min(ticks))

    # ------------------------------------------------------------ events
    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Replicas log and apply; the leader counts acknowledgements."""
        if isinstance(msg, Replicate):
            self.log[msg.txn] = msg.writes
            ctx.send(src, Replicated(txn=msg.txn))
        elif isinstance(msg, Commit):
            self._apply(self.log.pop(msg.txn, ()), msg.ts)
        elif isinstance(msg, Replicated) and msg.txn in self.active:
            txn = self.active[msg.txn]
            txn.acks.add(src)
            self._check_durable(ctx, txn)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``wait T<id>``: commit wait may be over; ``reads``: a read may be safe."""
        if name == "reads":
            self._serve_reads(ctx)
            return
        txn = self.active.get(int(name.removeprefix("wait T")))
        if txn is not None:
            self._maybe_finish(ctx, txn)

    def view(self) -> dict[str, Any]:
        """Role, shard, last timestamp, transactions in flight."""
        role = "leader" if self.is_leader else "replica"
        row: dict[str, Any] = {"role": role, "shard": self.shard}
        if self.is_leader:
            row.update(last_ts=self.last_ts, active=len(self.active), queued=len(self.queue))
        return row
