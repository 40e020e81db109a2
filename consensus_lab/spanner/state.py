"""The store node's state as an immutable value: transactions, versions, locks, waiting reads.

Maps are tuples of ``(key, value)`` pairs (hashable, and equal states
compare equal); :func:`get`, :func:`put` and :func:`drop` read and change
them without mutating anything. Every field is **volatile**: the model has
no crashes (see :mod:`.store`), so nothing is persisted and ``start``
ignores stable storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from ..sim import ClientRequest

K = TypeVar("K")
V = TypeVar("V")
Writes = tuple[tuple[str, Any], ...]
#: ``((ts, value), ...)`` of one key, in rising ``ts`` order.
Versions = tuple[tuple[int, Any], ...]


@dataclass(frozen=True, slots=True)
class Txn:
    """A read-write transaction at its leader, from lock to reply."""

    id: int
    request: ClientRequest
    writes: Writes
    acks: frozenset[str] = frozenset()
    durable: bool = False  # a majority logged the writes
    ts: int | None = None  # the commit timestamp s, once picked

    @property
    def keys(self) -> frozenset[str]:
        """The keys this transaction writes (and locks)."""
        return frozenset(k for k, _ in self.writes)


@dataclass(frozen=True, slots=True)
class SpannerState:
    """One member of a shard: its leader or a replica.

    ``last_ts`` invariant: every timestamp this leader assigned is <= it.
    ``active`` transactions hold their locks (``locked``) until answered;
    ``queue`` waits for locks, in arrival order; ``reads`` are snapshot
    reads ``(request, key, ts)`` whose ``ts`` is not yet safe.
    """

    node_id: str
    shard: int
    group: tuple[str, ...]  # the other members of the shard
    is_leader: bool
    versions: tuple[tuple[str, Versions], ...] = ()  # key -> versions, keys sorted
    log: tuple[tuple[int, Writes], ...] = ()  # replica: logged writes by txn id
    last_ts: int = 0
    queue: tuple[Txn, ...] = ()
    active: tuple[tuple[int, Txn], ...] = ()  # txn id -> txn, in start order
    locked: frozenset[str] = frozenset()
    reads: tuple[tuple[ClientRequest, str, int], ...] = ()


def get(pairs: tuple[tuple[K, V], ...], key: K, default: Any = None) -> Any:
    """The value of ``key`` in a tuple of pairs, else ``default``."""
    return next((v for k, v in pairs if k == key), default)


def put(pairs: tuple[tuple[K, V], ...], key: K, value: V) -> tuple[tuple[K, V], ...]:
    """``pairs`` with ``key`` set to ``value`` (in place if present, else appended)."""
    if any(k == key for k, _ in pairs):
        return tuple((k, value if k == key else v) for k, v in pairs)
    return (*pairs, (key, value))


def drop(pairs: tuple[tuple[K, V], ...], key: K) -> tuple[tuple[K, V], ...]:
    """``pairs`` without ``key``."""
    return tuple((k, v) for k, v in pairs if k != key)


def apply_writes(versions: tuple[tuple[str, Versions], ...], writes: Writes,
                 ts: int) -> tuple[tuple[str, Versions], ...]:
    """Add version ``ts`` of every written key (kept in rising ``ts`` order, keys sorted)."""
    for key, value in writes:
        mine = tuple(sorted((*get(versions, key, ()), (ts, value)), key=lambda v: v[0]))
        versions = tuple(sorted(put(versions, key, mine), key=lambda kv: kv[0]))
    return versions


def read_at(state: SpannerState, key: str, ts: int) -> tuple[Any, int]:
    """``(value, version_ts)`` of the newest version of ``key`` at or below ``ts``."""
    found: tuple[Any, int] = (None, 0)
    for version_ts, value in get(state.versions, key, ()):
        if version_ts <= ts:
            found = (value, version_ts)
    return found
