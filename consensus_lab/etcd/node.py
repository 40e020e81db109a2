"""An etcd member in the simulator: the lab's Raft node serving the etcd API.

Theory of operation (what etcd's server adds around its Raft core):

* **Writes and linearizable reads go through the log.** The member a client
  talks to forwards the request to the leader it knows (:class:`Forward`);
  the leader appends it and answers once it is applied. A read in the log
  sees every write committed before it (etcd uses ReadIndex for the same
  guarantee without a log entry; going through the log is the simplest way).
* **Serializable reads** are answered at once by the member from what it has
  applied: they work without a leader and can be stale (etcd's
  ``--consistency=s``).
* **No leader, no write.** A member that knows no leader answers ``fail``
  (the request was certainly not proposed) and the client may retry; a
  forward that reaches a member that no longer leads fails the same way.
* **Leases expire by the leader's clock, through the log.** Only the
  leader's *lessor* tracks expiry times, in its local clock: a lease expires
  ``ttl`` seconds after it was granted or last kept alive. Keep-alives go to
  the leader and never touch the log. An expired lease is revoked by a
  command the leader proposes, so every member deletes the lease's keys at
  the same point of the log. A new leader gives every lease a full TTL from
  its own election (etcd's lessor ``Promote``), so a leader change never
  makes a lease expire early.

Time is in ticks of 1 ms; lease TTLs are seconds, as in etcd.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..raft.config import RaftConfig
from ..raft.node import LEADER, RaftNode
from ..sim import ClientRequest, ConfigError, Context
from .mvcc import Command, Failure, MVCCStore
from .ops import LeaseRevokeRequest

#: Requests that go through the log (the leader proposes them).
LOG_OPS = ("put", "range", "delete", "txn", "lease_grant", "lease_revoke")
#: Requests answered without the log.
LOCAL_OPS = ("range_serializable", "lease_keepalive", "status")
TICKS_PER_SECOND = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """member → the leader it knows: carries a client's ``request`` to propose or renew."""

    request: ClientRequest

    def __str__(self) -> str:
        return f"Fwd({self.request})"


class EtcdNode(RaftNode):
    """A Raft server with an :class:`MVCCStore` and a lessor (module docstring)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 config: RaftConfig | None = None, lease_check_interval: int = 50) -> None:
        super().__init__(node_id, peers, config=config)
        if not isinstance(lease_check_interval, int) or lease_check_interval <= 0:
            raise ConfigError(f"lease_check_interval must be a positive int of ticks, "
                              f"got {lease_check_interval!r}")
        self.lease_check_interval = lease_check_interval
        # an etcd member applies commands to an MVCC store, not to RaftNode's KVStore
        self.store: MVCCStore = MVCCStore()  # type: ignore[assignment]
        # The lessor (leader only, volatile): lease id -> local time it expires.
        self.lease_expiry: dict[int, int] = {}
        self.revoking: set[int] = set()  # expired leases whose revoke is in the log
        self.lessor_seq = 0

    # ------------------------------------------------------------ life cycle
    def on_start(self, ctx: Context) -> None:
        """Raft recovery (the MVCC store is rebuilt from the snapshot, the log replays)."""
        super().on_start(ctx)
        self.lease_expiry, self.revoking = {}, set()
        ctx.set_timer("lessor", self.lease_check_interval)

    def become_leader(self, ctx: Context) -> None:
        """Lead: append an empty entry and give every lease a full TTL from now.

        The empty entry (as etcd's leader appends one) commits the entries of
        earlier terms (§5.4.2), so the new leader soon knows every lease.
        Renewing leases is etcd's lessor ``Promote``.
        """
        super().become_leader(ctx)
        self.submit(ctx, None)
        self.lease_expiry, self.revoking = {}, set()
        self._sync_lessor(ctx)

    def apply_committed(self, ctx: Context) -> None:
        """Apply as Raft does, then let the lessor see granted and revoked leases."""
        super().apply_committed(ctx)
        if self.role == LEADER:
            self._sync_lessor(ctx)

    # ------------------------------------------------------------ clients
    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """Serve locally, propose on the leader, forward from a follower, or fail."""
        if request.f == "range_serializable":
            op = request.value
            ctx.reply(request, self.store.range(op.key, op.prefix))
        elif request.f == "status":
            ctx.reply(request, self.status())
        elif request.f not in LOG_OPS and request.f != "lease_keepalive":
            ctx.reply(request, f"unknown etcd request {request.f!r}; allowed: "
                      f"{', '.join(LOG_OPS + LOCAL_OPS)}", ok=False)
        elif self.role == LEADER:
            self._lead(ctx, request)
        elif self.leader_id is not None:
            ctx.send(self.leader_id, Forward(request=request))
        else:
            ctx.reply(request, "no leader", ok=False)

    def _lead(self, ctx: Context, request: ClientRequest) -> None:
        if request.f == "lease_keepalive":
            ctx.reply(request, self._keep_alive(ctx, request.value))
            return
        command = Command(client=request.client, seq=request.seq or request.id, op=request.value)
        index, _, _ = self.submit(ctx, command)
        self.pending[index] = (request, self.current_term)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """A forwarded request (leader: take it; otherwise fail it), or a Raft message."""
        if not isinstance(msg, Forward):
            super().on_message(ctx, src, msg)
        elif self.role == LEADER:
            self._lead(ctx, msg.request)
        else:
            ctx.reply(msg.request, "not leader (forwarded to a deposed leader)", ok=False)

    def status(self) -> dict[str, Any]:
        """What ``etcdctl endpoint status`` shows: role, leader, term, revision, indexes."""
        return {"member": self.node_id, "role": self.role, "leader": self.leader_id,
                "term": self.current_term, "revision": self.store.revision,
                "commit_index": self.commit_index, "applied_index": self.last_applied}

    # ------------------------------------------------------------ lessor
    def on_timer(self, ctx: Context, name: str) -> None:
        """The lessor's check (leader: revoke expired leases), or a Raft timer."""
        if name != "lessor":
            super().on_timer(ctx, name)
            return
        ctx.set_timer("lessor", self.lease_check_interval)
        if self.role != LEADER:
            return
        for lease_id, expires_at in sorted(self.lease_expiry.items()):
            if expires_at <= ctx.now and lease_id not in self.revoking:
                self.revoking.add(lease_id)
                self.lessor_seq += 1
                ctx.note(f"lease {lease_id} expired: proposing its revoke")
                self.submit(ctx, Command(client=None, seq=self.lessor_seq,
                                         op=LeaseRevokeRequest(id=lease_id)))

    def _keep_alive(self, ctx: Context, lease_id: int) -> Any:
        lease = self.store.leases.get(lease_id)
        if lease is None or lease_id in self.revoking:
            return Failure(kind="lease_not_found", lease_id=lease_id)
        self.lease_expiry[lease_id] = ctx.now + lease.ttl * TICKS_PER_SECOND
        return lease.ttl

    def _sync_lessor(self, ctx: Context) -> None:
        """Track new leases with a full TTL from now; forget revoked ones."""
        leases = self.store.leases
        for lease_id in [i for i in self.lease_expiry if i not in leases]:
            del self.lease_expiry[lease_id]
            self.revoking.discard(lease_id)
        for lease_id, lease in leases.items():
            if lease_id not in self.lease_expiry:
                self.lease_expiry[lease_id] = ctx.now + lease.ttl * TICKS_PER_SECOND

    def describe(self) -> str:
        """Raft's label plus the store revision."""
        return f"{super().describe()} rev={self.store.revision}"
