"""etcd's multi-version key-value store as a pure, deterministic state machine.

Theory of operation. Raft orders :class:`Command` values in a log; every
member applies them in that order with :meth:`MVCCStore.apply`, so every
member's store goes through the same states. Nothing here reads a clock or a
random stream. The rules are etcd's (https://etcd.io/docs/v3.4/learning/api/
and https://etcd.io/docs/v3.4/learning/data_model/):

* The store has one **revision** counter, 1 when the cluster is new. A
  request that modifies keys increments it exactly once, so a transaction that
  writes three keys gives all three the same ``mod_revision``. A request that
  modifies nothing (a read, deleting an absent key, a transaction whose
  branch only reads) leaves it unchanged.
* Per key: ``create_revision`` is the revision that created it (since its
  last deletion), ``mod_revision`` the revision of its last change,
  ``version`` counts puts since creation. A delete removes the key: it comes
  back with version 1 and a new ``create_revision``.
* A transaction's comparisons see the store before the transaction. An
  absent key compares as version 0, create 0, mod 0, lease 0, and every
  ``value`` comparison on it is false (etcd: there is no value to compare).
* Leases: ``grant`` creates one (no revision change); a put with ``lease``
  attaches the key (a later put without it detaches); ``revoke`` deletes every
  attached key in one revision. *When* a lease expires is not decided here:
  the leader's lessor watches the time and proposes the revoke through the
  log, like etcd's ``LeaseRevoke`` on expiry (see :mod:`.node`).
* Every change is kept as an :class:`~.api.Event` in ``events``, the
  history a watch reads from (we never compact).

Client sessions (Raft §8) make a command delivered twice apply once.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, replace
from typing import Any

from .api import DeleteResult, Event, KeyValue, LeaseGrant, PutResult, RangeResult, TxnResult
from .ops import Compare, Delete, Get, LeaseGrantRequest, LeaseRevokeRequest, Put, Txn

Op = Put | Get | Delete | Txn | LeaseGrantRequest | LeaseRevokeRequest


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """client → log: ``client``'s ``seq``-th request ``op`` (client None: the lessor)."""

    client: str | None
    seq: int
    op: Op

    def __str__(self) -> str:
        return f"{self.client or 'lessor'}#{self.seq} {self.op}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """A request the state machine refused (every member refuses it alike)."""

    kind: str  # "lease_not_found"
    lease_id: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Lease:
    """A granted lease: ``ttl`` seconds, and the keys attached to it (sorted)."""

    id: int
    ttl: int
    keys: tuple[str, ...] = ()


class MVCCStore:
    """The replicated state of an etcd cluster (see the module docstring)."""

    def __init__(self) -> None:
        self.revision = 1  # Invariant: every kv.mod_revision <= revision
        self.keys: dict[str, KeyValue] = {}
        self.events: list[Event] = []  # Invariant: sorted by revision
        self.leases: dict[int, Lease] = {}
        self.next_lease_id = 1
        self.sessions: dict[str, tuple[int, Any]] = {}  # client -> (last seq, its result)

    # ------------------------------------------------------------ apply
    def apply(self, command: Any) -> Any:
        """Apply one log entry; a duplicate of a client's last command returns its result."""
        if not isinstance(command, Command):
            return None  # a no-op (or a test's plain value)
        if command.client is not None:
            last = self.sessions.get(command.client)
            if last is not None and command.seq <= last[0]:
                return last[1] if command.seq == last[0] else None
        result = self._run(command.op)
        if command.client is not None:
            self.sessions[command.client] = (command.seq, result)
        return result

    def _run(self, op: Op) -> Any:
        if isinstance(op, Get):
            return self.range(op.key, op.prefix)
        if isinstance(op, LeaseGrantRequest):
            return self._grant(op.ttl)
        if isinstance(op, LeaseRevokeRequest):
            return self._revoke(op.id)
        txn = op if isinstance(op, Txn) else Txn(success=(op,))
        result = self._txn(txn)
        if isinstance(op, Txn) or isinstance(result, Failure):
            return result
        return result.responses[0]

    # ------------------------------------------------------------ reads
    def range(self, key: str, prefix: bool = False) -> RangeResult:
        """The pairs at ``key`` (or under a prefix), sorted by key, at the current revision."""
        return RangeResult(revision=self.revision, kvs=self._matching(key, prefix))

    def _matching(self, key: str, prefix: bool) -> tuple[KeyValue, ...]:
        if not prefix:
            kv = self.keys.get(key)
            return () if kv is None else (kv,)
        return tuple(self.keys[k] for k in sorted(self.keys) if k.startswith(key))

    def events_from(self, revision: int) -> list[Event]:
        """Every change at ``revision`` or later, in order (a watch's backlog)."""
        at = bisect_left([e.revision for e in self.events], revision)
        return self.events[at:]

    # ------------------------------------------------------------ transactions
    def compare(self, guard: Compare) -> bool:
        """Evaluate one transaction guard against the current state."""
        kv = self.keys.get(guard.key)
        if guard.target == "value":
            if kv is None:
                return False  # etcd: a value compare on an absent key always fails
            actual: Any = kv.value
        elif kv is None:
            actual = 0
        else:
            actual = {"version": kv.version, "create": kv.create_revision,
                      "mod": kv.mod_revision, "lease": kv.lease}[guard.target]
        operand = guard.operand
        return {"==": actual == operand, "!=": actual != operand,
                ">": actual > operand, "<": actual < operand}[guard.result]

    def _txn(self, txn: Txn) -> TxnResult | Failure:
        succeeded = all(self.compare(guard) for guard in txn.compare)
        ops = txn.success if succeeded else txn.failure
        for op in ops:  # refuse before changing anything: all or nothing
            if isinstance(op, Put) and op.lease and op.lease not in self.leases:
                return Failure(kind="lease_not_found", lease_id=op.lease)
        new_revision = self.revision + 1
        raw = [self._do(op, new_revision) for op in ops]
        if any(changed for _, changed in raw):
            self.revision = new_revision
        responses = tuple(_at_revision(r, self.revision) for r, _ in raw)
        return TxnResult(revision=self.revision, succeeded=succeeded, responses=responses)

    def _do(self, op: Put | Get | Delete, revision: int) -> tuple[Any, bool]:
        """Run one op at ``revision``; (its result, whether it changed a key)."""
        if isinstance(op, Get):
            return RangeResult(revision=0, kvs=self._matching(op.key, op.prefix)), False
        if isinstance(op, Put):
            prev = self._put(op, revision)
            return PutResult(revision=0, prev_kv=prev if op.prev_kv else None), True
        deleted = self._matching(op.key, op.prefix)
        for kv in deleted:
            self._delete(kv, revision)
        return DeleteResult(revision=0, deleted=len(deleted),
                            prev_kvs=deleted if op.prev_kv else ()), bool(deleted)

    def _put(self, op: Put, revision: int) -> KeyValue | None:
        prev = self.keys.get(op.key)
        kv = KeyValue(key=op.key, value=op.value,
                      create_revision=prev.create_revision if prev else revision,
                      mod_revision=revision, version=prev.version + 1 if prev else 1,
                      lease=op.lease)
        if prev is not None and prev.lease != op.lease:
            self._detach(prev.lease, op.key)
        if op.lease:
            self._attach(op.lease, op.key)
        self.keys[op.key] = kv
        self.events.append(Event(type="put", kv=kv))
        return prev

    def _delete(self, kv: KeyValue, revision: int) -> None:
        del self.keys[kv.key]
        self._detach(kv.lease, kv.key)
        tombstone = KeyValue(key=kv.key, value="", create_revision=0,
                             mod_revision=revision, version=0)
        self.events.append(Event(type="delete", kv=tombstone))

    # ------------------------------------------------------------ leases
    def _grant(self, ttl: int) -> LeaseGrant:
        lease = Lease(id=self.next_lease_id, ttl=ttl)
        self.next_lease_id += 1
        self.leases[lease.id] = lease
        return LeaseGrant(id=lease.id, ttl=ttl)

    def _revoke(self, lease_id: int) -> int | Failure:
        """Delete the lease's keys in one revision; returns the store revision."""
        lease = self.leases.get(lease_id)
        if lease is None:
            return Failure(kind="lease_not_found", lease_id=lease_id)
        if lease.keys:
            self.revision += 1
            for key in lease.keys:
                self._delete(self.keys[key], self.revision)
        del self.leases[lease_id]
        return self.revision

    def _attach(self, lease_id: int, key: str) -> None:
        lease = self.leases[lease_id]
        if key not in lease.keys:
            self.leases[lease_id] = replace(lease, keys=tuple(sorted((*lease.keys, key))))

    def _detach(self, lease_id: int, key: str) -> None:
        lease = self.leases.get(lease_id)
        if lease is not None:
            self.leases[lease_id] = replace(lease,
                                            keys=tuple(k for k in lease.keys if k != key))

    # ------------------------------------------------------------ snapshots
    def snapshot(self) -> tuple[Any, ...]:
        """The whole state as an immutable value (for a Raft snapshot)."""
        return (self.revision, tuple(sorted(self.keys.items())), tuple(self.events),
                tuple(sorted(self.leases.items())), self.next_lease_id,
                tuple(sorted(self.sessions.items())))

    @classmethod
    def restore(cls, snapshot: Any) -> MVCCStore:
        """A store holding the state ``snapshot`` captured (empty for None)."""
        store = cls()
        if snapshot:
            revision, keys, events, leases, next_id, sessions = snapshot
            store.revision, store.next_lease_id = revision, next_id
            store.keys, store.events = dict(keys), list(events)
            store.leases, store.sessions = dict(leases), dict(sessions)
        return store


def _at_revision(result: Any, revision: int) -> Any:
    """Stamp an op's result with the transaction's final revision (the response header)."""
    return replace(result, revision=revision)
