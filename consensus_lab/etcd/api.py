"""The etcd v3 API as Python values: results and the client interface.

Every backend implements :class:`EtcdClient`, so learner code runs unchanged
on the embedded cluster (our Raft in the simulator) and on a real etcd.
Names follow etcd's API (https://etcd.io/docs/v3.4/learning/api/):

* the **revision** is the store's logical clock: it starts at 1 and every
  request that changes keys bumps it by exactly one (a transaction too, however
  many keys it writes);
* a :class:`KeyValue` carries ``create_revision`` (revision of the key's last
  creation), ``mod_revision`` (of its last modification) and ``version``
  (number of puts since it was created; a delete resets it to 0);
* a transaction compares keys (``value``, ``version``, ``create``
  revision, ``mod`` revision, ``lease``) and runs ``success`` ops if every
  comparison holds, else ``failure`` ops, atomically.

Keys and values are ``str`` here (etcd stores bytes; the real backend
encodes UTF-8). Requests (:mod:`.ops`) are checked *before* anything is
sent, so a bad request raises :class:`InvalidRequest` and changes nothing.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .ops import Compare, Delete, Get, Put

# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyValue:
    """One key as etcd returns it (``mvccpb.KeyValue``); ``lease`` 0 = no lease."""

    key: str
    value: str
    create_revision: int
    mod_revision: int
    version: int
    lease: int = 0

    def __str__(self) -> str:
        return (f"{self.key}={self.value!r} (create={self.create_revision} "
                f"mod={self.mod_revision} v{self.version})")


@dataclass(frozen=True, slots=True, kw_only=True)
class PutResult:
    """A put's answer: the store ``revision`` after it, and the previous pair if asked."""

    revision: int
    prev_kv: KeyValue | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RangeResult:
    """A get's answer: matching pairs sorted by key, at store ``revision``."""

    revision: int
    kvs: tuple[KeyValue, ...] = ()

    @property
    def count(self) -> int:
        """How many keys matched."""
        return len(self.kvs)

    @property
    def value(self) -> str | None:
        """The first pair's value, or None when nothing matched."""
        return self.kvs[0].value if self.kvs else None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteResult:
    """A delete's answer: how many keys it removed (0 leaves the revision alone)."""

    revision: int
    deleted: int
    prev_kvs: tuple[KeyValue, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TxnResult:
    """A transaction's answer: which branch ran and each op's result, in order."""

    revision: int
    succeeded: bool
    responses: tuple[PutResult | RangeResult | DeleteResult, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseGrant:
    """A granted lease: its ``id`` and ``ttl`` in seconds."""

    id: int
    ttl: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """A watch event: ``type`` "put" or "delete"; ``revision`` is when it happened.

    For a delete, ``kv`` has the key, an empty value, version 0 and
    ``mod_revision`` = the delete's revision (as etcd sends it).
    """

    type: str
    kv: KeyValue

    @property
    def key(self) -> str:
        """The key the event is about."""
        return self.kv.key

    @property
    def revision(self) -> int:
        """The revision of the change."""
        return self.kv.mod_revision

    def __str__(self) -> str:
        return f"{self.type.upper()} {self.kv.key}={self.kv.value!r} @{self.kv.mod_revision}"


# ------------------------------------------------------------------ interface


class Watch(ABC):
    """A stream of :class:`Event` for a key or prefix, in revision order."""

    @abstractmethod
    def get(self, count: int = 1, timeout: float = 1.0) -> list[Event]:
        """Wait (at most ``timeout`` s) until ``count`` events arrived; return those seen.

        Returns fewer than ``count`` events (maybe none) on timeout; never
        returns an event twice.
        """

    @abstractmethod
    def cancel(self) -> None:
        """Stop watching (idempotent)."""

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class EtcdClient(ABC):
    """The etcd v3 KV, Lease and Watch API (the same on every backend).

    Calls block until the cluster answers or the client's timeout passes.
    A timeout raises :class:`OutcomeUnknown` (it may have happened);
    :class:`Unavailable` means it certainly did not.
    """

    #: "embedded" or "real"
    backend: str = ""

    @abstractmethod
    def put(self, key: str, value: str, *, lease: int = 0,
            prev_kv: bool = False) -> PutResult:
        """Set ``key`` to ``value``; bumps the revision by one."""

    @abstractmethod
    def get(self, key: str, *, prefix: bool = False,
            serializable: bool = False) -> RangeResult:
        """Read ``key`` (or a prefix). Linearizable unless ``serializable``.

        A serializable read is answered by the member the client talks to,
        from what it has applied: fast, available without a leader, maybe stale.
        """

    @abstractmethod
    def delete(self, key: str, *, prefix: bool = False, prev_kv: bool = False) -> DeleteResult:
        """Delete ``key`` (or a prefix); the revision moves only if something was deleted."""

    @abstractmethod
    def txn(self, compare: Iterable[Compare] = (), success: Iterable[Put | Get | Delete] = (),
            failure: Iterable[Put | Get | Delete] = ()) -> TxnResult:
        """An atomic if/then/else over keys (etcd's Txn)."""

    @abstractmethod
    def lease_grant(self, ttl: int) -> LeaseGrant:
        """A new lease of ``ttl`` seconds; keys put with it die when it expires."""

    @abstractmethod
    def lease_keep_alive(self, lease_id: int) -> int:
        """Renew the lease for its full TTL; returns the TTL. Raises LeaseNotFound."""

    @abstractmethod
    def lease_revoke(self, lease_id: int) -> None:
        """End the lease now, deleting its keys. Raises LeaseNotFound."""

    @abstractmethod
    def watch(self, key: str, *, prefix: bool = False,
              start_revision: int | None = None) -> Watch:
        """Events on ``key`` (or a prefix) from ``start_revision`` (default: from now on)."""

    @abstractmethod
    def sleep(self, seconds: float) -> None:
        """Let time pass (simulated time on the embedded backend, real time otherwise)."""

    def now(self) -> float:
        """The backend's clock in seconds (simulated on embedded; monotonic on real)."""
        return time.monotonic()

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release the client's resources."""

    # ---- conveniences built on the calls above (same on every backend)
    def get_prefix(self, prefix: str, *, serializable: bool = False) -> RangeResult:
        """Every key starting with ``prefix``, sorted by key."""
        return self.get(prefix, prefix=True, serializable=serializable)

    def get_value(self, key: str, *, serializable: bool = False) -> str | None:
        """Just the value of ``key`` (None if absent)."""
        return self.get(key, serializable=serializable).value

    def __enter__(self) -> EtcdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_kvs(result: RangeResult) -> Iterator[tuple[str, str]]:
    """``(key, value)`` pairs of a range result."""
    return ((kv.key, kv.value) for kv in result.kvs)
