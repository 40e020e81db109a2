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

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..raft import RaftConfig, RaftNode, RaftProtocol, RaftState
from ..raft.state import LEADER, evolve
from ..sim import ClientRequest, ConfigError
from ..sim.step import Effect, Effects, Note, Reply, Send, timer
from .mvcc import Command, Failure, MVCCStore
from .ops import LeaseRevokeRequest

#: Requests that go through the log (the leader proposes them).
LOG_OPS = ("put", "range", "delete", "txn", "lease_grant", "lease_revoke")
#: Requests answered without the log.
LOCAL_OPS = ("range_serializable", "lease_keepalive", "status")
TICKS_PER_SECOND = 1000
Out = list[Effect]
LESSOR = ("etcd lessor: only the leader tracks lease expiry, by its own clock; an expired "
          "lease is revoked through the log; keep-alives renew without the log")
FORWARD = ("etcd: a member forwards a request to the leader it knows; without a leader, "
           "or at a deposed one, the request fails (it was never proposed)")
SERIALIZABLE = ("etcd: serializable reads and status are answered by the member from what it "
                "has applied (--consistency=s), without the log")


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """member → the leader it knows: carries a client's ``request`` to propose or renew."""

    request: ClientRequest

    def __str__(self) -> str:
        return f"Fwd({self.request})"


@dataclass(frozen=True, slots=True)
class EtcdState(RaftState):
    """Raft's state plus the lessor (leader only, volatile) and the member's clock.

    ``now`` is the member's local time when the current input arrived (the
    input's ``now``, which :meth:`EtcdProtocol.step` copies in first): the
    lessor's handlers read it from the state.
    """

    now: int = 0
    lease_expiry: tuple[tuple[int, int], ...] = ()  # lease id -> local time it expires
    revoking: frozenset[int] = frozenset()  # expired leases whose revoke is in the log
    lessor_seq: int = 0


def _apply_copy(store: MVCCStore, command: Any) -> tuple[MVCCStore, Any]:
    """Copy on write: apply ``command`` to a copy, so an earlier state keeps its store."""
    if not isinstance(command, Command):
        return store, store.apply(command)  # a no-op changes nothing
    fresh = copy.copy(store)
    fresh.keys, fresh.events = dict(store.keys), list(store.events)
    fresh.leases, fresh.sessions = dict(store.leases), dict(store.sessions)
    return fresh, fresh.apply(command)


class EtcdProtocol(RaftProtocol):
    """Raft with an :class:`MVCCStore` and a lessor (module docstring)."""

    state_class = EtcdState

    def __init__(self, config: RaftConfig | None = None, lease_check_interval: int = 50) -> None:
        super().__init__(config)
        if not isinstance(lease_check_interval, int) or lease_check_interval <= 0:
            raise ConfigError(f"lease_check_interval must be a positive int of ticks, "
                              f"got {lease_check_interval!r}")
        self.lease_check_interval = lease_check_interval

    # ------------------------------------------------------------ state machine
    def restore_store(self, data: Any) -> Any:
        """An etcd member applies commands to an MVCC store, not to Raft's KV."""
        return MVCCStore.restore(data)

    def apply_command(self, store: Any, command: Any) -> tuple[Any, Any]:
        return _apply_copy(store, command)

    # ------------------------------------------------------------ life cycle
    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[RaftState, Effects]:
        """Raft recovery (the MVCC store is rebuilt from the snapshot, the log replays)."""
        s, effects = super().start(node_id, peers, stored)
        return s, (*effects, timer("lessor", self.lease_check_interval, LESSOR))

    def step(self, state: RaftState, event: Any) -> tuple[RaftState, Effects]:
        """Copy the input's clock reading into the state (``EtcdState.now``), then step Raft.

        A :class:`~consensus_lab.raft.state.Submit` from outside carries no
        clock: the member keeps the reading of its last input.
        """
        now = getattr(event, "now", None)
        if isinstance(state, EtcdState) and now is not None and state.now != now:
            state = evolve(state, now=now)
        return super().step(state, event)

    def become_leader(self, s: RaftState, out: Out) -> RaftState:
        """Lead: append an empty entry and give every lease a full TTL from now.

        The empty entry (as etcd's leader appends one) commits the entries of
        earlier terms (§5.4.2), so the new leader soon knows every lease.
        Renewing leases is etcd's lessor ``Promote``.
        """
        s = self.submit(super().become_leader(s, out), None, out)
        return self._sync_lessor(evolve(_etcd(s), lease_expiry=(), revoking=frozenset()))

    def apply_committed(self, s: RaftState, out: Out) -> RaftState:
        """Apply as Raft does, then let the lessor see granted and revoked leases."""
        s = super().apply_committed(s, out)
        return self._sync_lessor(s) if s.role == LEADER else s

    # ------------------------------------------------------------ clients
    def on_request(self, s: RaftState, request: Any, out: Out) -> RaftState:
        """Serve locally, propose on the leader, forward from a follower, or fail."""
        if request.f == "range_serializable":
            op = request.value
            out.append(Reply(request, s.store.range(op.key, op.prefix), True, SERIALIZABLE))
        elif request.f == "status":
            out.append(Reply(request, status(s), True, SERIALIZABLE))
        elif request.f not in LOG_OPS and request.f != "lease_keepalive":
            out.append(Reply(request, f"unknown etcd request {request.f!r}; allowed: "
                             f"{', '.join(LOG_OPS + LOCAL_OPS)}", False, SERIALIZABLE))
        elif s.role == LEADER:
            return self._lead(s, request, out)
        elif s.leader_id is not None:
            out.append(Send(s.leader_id, Forward(request=request), FORWARD))
        else:
            out.append(Reply(request, "no leader", False, FORWARD))
        return s

    def _lead(self, s: RaftState, request: ClientRequest, out: Out) -> RaftState:
        if request.f == "lease_keepalive":
            s, ttl = self._keep_alive(s, request.value)
            out.append(Reply(request, ttl, True, LESSOR))
            return s
        command = Command(client=request.client, seq=request.seq or request.id, op=request.value)
        return self.propose(s, command, request, out)

    def on_message(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """A forwarded request (leader: take it; otherwise fail it), or a Raft message."""
        if not isinstance(msg, Forward):
            return super().on_message(s, src, msg, out)
        if s.role == LEADER:
            return self._lead(s, msg.request, out)
        out.append(Reply(msg.request, "not leader (forwarded to a deposed leader)", False,
                         FORWARD))
        return s

    # ------------------------------------------------------------ lessor
    def on_timer(self, s: RaftState, name: str, out: Out) -> RaftState:
        """The lessor's check (leader: revoke expired leases), or a Raft timer."""
        if name != "lessor":
            return super().on_timer(s, name, out)
        out.append(timer("lessor", self.lease_check_interval, LESSOR))
        if s.role != LEADER:
            return s
        e = _etcd(s)
        for lease_id, expires_at in sorted(e.lease_expiry):
            if expires_at <= e.now and lease_id not in e.revoking:
                e = evolve(e, revoking=e.revoking | {lease_id}, lessor_seq=e.lessor_seq + 1)
                out.append(Note(f"lease {lease_id} expired: proposing its revoke", LESSOR))
                e = _etcd(self.submit(e, Command(client=None, seq=e.lessor_seq,
                                                 op=LeaseRevokeRequest(id=lease_id)), out))
        return e

    def _keep_alive(self, s: RaftState, lease_id: int) -> tuple[RaftState, Any]:
        e = _etcd(s)
        lease = e.store.leases.get(lease_id)
        if lease is None or lease_id in e.revoking:
            return e, Failure(kind="lease_not_found", lease_id=lease_id)
        expiry = dict(e.lease_expiry)
        expiry[lease_id] = e.now + lease.ttl * TICKS_PER_SECOND
        return evolve(e, lease_expiry=tuple(expiry.items())), lease.ttl

    def _sync_lessor(self, s: RaftState) -> RaftState:
        """Track new leases with a full TTL from now; forget revoked ones."""
        e = _etcd(s)
        leases = e.store.leases
        expiry = {i: t for i, t in e.lease_expiry if i in leases}
        gone = {i for i, _ in e.lease_expiry if i not in leases}
        revoking = e.revoking - gone
        for lease_id, lease in leases.items():
            if lease_id not in expiry:
                expiry[lease_id] = e.now + lease.ttl * TICKS_PER_SECOND
        pairs = tuple(expiry.items())
        if pairs == e.lease_expiry and revoking == e.revoking:
            return e
        return evolve(e, lease_expiry=pairs, revoking=revoking)

    def describe(self, state: RaftState) -> str:
        """Raft's label plus the store revision."""
        return f"{super().describe(state)} rev={state.store.revision}"


def _etcd(s: RaftState) -> EtcdState:
    assert isinstance(s, EtcdState), s
    return s


def status(s: RaftState) -> dict[str, Any]:
    """What ``etcdctl endpoint status`` shows: role, leader, term, revision, indexes."""
    return {"member": s.node_id, "role": s.role, "leader": s.leader_id,
            "term": s.current_term, "revision": s.store.revision,
            "commit_index": s.commit_index, "applied_index": s.last_applied}


class EtcdNode(RaftNode):
    """An etcd member in the simulator: :class:`EtcdProtocol` run by a RaftNode.

    The protocol reads the member's clock from each input (``EtcdState.now``).
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], *,
                 config: RaftConfig | None = None, lease_check_interval: int = 50) -> None:
        super().__init__(node_id, peers, protocol=EtcdProtocol(config, lease_check_interval))

    @property
    def lease_check_interval(self) -> int:
        return cast(EtcdProtocol, self.protocol).lease_check_interval

    @property
    def lease_expiry(self) -> dict[int, int]:
        return dict(_etcd(self.raft).lease_expiry)

    @property
    def revoking(self) -> frozenset[int]:
        return _etcd(self.raft).revoking

    def status(self) -> dict[str, Any]:
        """What ``etcdctl endpoint status`` shows: role, leader, term, revision, indexes."""
        return status(self.raft)
