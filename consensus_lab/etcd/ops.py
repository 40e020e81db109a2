"""Requests of the etcd API as frozen values, checked when built.

A request that cannot be valid (a key that is not a string, a TTL of 0, a
transaction that writes one key twice) raises :class:`InvalidRequest` the
moment it is constructed, naming the bad value and what is allowed, so
nothing half-built ever reaches a cluster. The same values are the commands
in the embedded cluster's Raft log (see :mod:`.mvcc`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequest

COMPARE_TARGETS = ("value", "version", "create", "mod", "lease")
COMPARE_RESULTS = ("==", "!=", ">", "<")


@dataclass(frozen=True, slots=True, kw_only=True)
class Compare:
    """One guard of a transaction: ``target`` of ``key`` ``result`` ``operand``.

    ``Compare(key="lock", target="create", result="==", operand=0)`` holds
    when "lock" does not exist. ``target`` is one of value / version /
    create / mod / lease (etcd's ``Compare.CompareTarget``).
    """

    key: str
    target: str
    result: str
    operand: str | int

    def __post_init__(self) -> None:
        check_key(self.key)
        if self.target not in COMPARE_TARGETS:
            raise InvalidRequest(f"compare target must be one of {', '.join(COMPARE_TARGETS)}, "
                                 f"got {self.target!r}")
        if self.result not in COMPARE_RESULTS:
            raise InvalidRequest(f"compare result must be one of {', '.join(COMPARE_RESULTS)}, "
                                 f"got {self.result!r}")
        if self.target == "value":
            check_value(self.operand)
        elif not isinstance(self.operand, int) or isinstance(self.operand, bool) \
                or self.operand < 0:
            raise InvalidRequest(f"a {self.target} compare needs an int >= 0, "
                                 f"got {self.operand!r}")

    def __str__(self) -> str:
        return f"{self.target}({self.key}) {self.result} {self.operand!r}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Put:
    """Set ``key`` to ``value``, attached to ``lease`` (0: none, detaching any old one)."""

    key: str
    value: str
    lease: int = 0
    prev_kv: bool = False

    def __post_init__(self) -> None:
        check_key(self.key)
        check_value(self.value)
        check_lease_id(self.lease, allow_zero=True)

    def __str__(self) -> str:
        lease = f" lease={self.lease}" if self.lease else ""
        return f"put {self.key}={self.value!r}{lease}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Get:
    """Read ``key`` (or every key starting with it when ``prefix``)."""

    key: str
    prefix: bool = False

    def __post_init__(self) -> None:
        check_key(self.key)

    def __str__(self) -> str:
        return f"get {self.key}{'*' if self.prefix else ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Delete:
    """Delete ``key`` (or every key starting with it when ``prefix``)."""

    key: str
    prefix: bool = False
    prev_kv: bool = False

    def __post_init__(self) -> None:
        check_key(self.key)

    def __str__(self) -> str:
        return f"delete {self.key}{'*' if self.prefix else ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Txn:
    """If every ``compare`` holds run ``success``, else ``failure`` (atomically)."""

    compare: tuple[Compare, ...] = ()
    success: tuple[Put | Get | Delete, ...] = ()
    failure: tuple[Put | Get | Delete, ...] = ()

    def __post_init__(self) -> None:
        for guard in self.compare:
            if not isinstance(guard, Compare):
                raise InvalidRequest(f"txn compare items must be Compare, got {guard!r}")
        for branch in (self.success, self.failure):
            check_branch(branch)

    def __str__(self) -> str:
        return (f"txn if {' and '.join(map(str, self.compare)) or 'true'} "
                f"then [{'; '.join(map(str, self.success))}] "
                f"else [{'; '.join(map(str, self.failure))}]")


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseGrantRequest:
    """Grant a lease of ``ttl`` seconds (the id is chosen by the cluster)."""

    ttl: int

    def __post_init__(self) -> None:
        check_ttl(self.ttl)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseRevokeRequest:
    """Revoke lease ``id``: every key attached to it is deleted in one revision."""

    id: int

    def __post_init__(self) -> None:
        check_lease_id(self.id)


# ------------------------------------------------------------------ validation

#: Largest lease TTL accepted (etcd's MaxLeaseTTL is 9,000,000,000 seconds).
MAX_TTL = 9_000_000_000


def check_key(key: Any) -> None:
    """Keys are non-empty strings."""
    if not isinstance(key, str) or not key:
        raise InvalidRequest(f"key must be a non-empty str, got {key!r}")


def check_value(value: Any) -> None:
    """Values are strings (possibly empty)."""
    if not isinstance(value, str):
        raise InvalidRequest(f"value must be a str, got {value!r} ({type(value).__name__})")


def check_ttl(ttl: Any) -> None:
    """A lease TTL is a whole number of seconds in [1, MAX_TTL]."""
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 1 <= ttl <= MAX_TTL:
        raise InvalidRequest(f"lease ttl must be an int number of seconds in [1, {MAX_TTL}], "
                             f"got {ttl!r}")


def check_lease_id(lease: Any, allow_zero: bool = False) -> None:
    """Lease ids are positive ints (0 means "no lease" where allowed)."""
    low = 0 if allow_zero else 1
    if not isinstance(lease, int) or isinstance(lease, bool) or lease < low:
        allowed = "an int >= 0 (0 = no lease)" if allow_zero else "a positive int"
        raise InvalidRequest(f"lease id must be {allowed}, got {lease!r}")


def check_branch(ops: Iterable[Any]) -> None:
    """A txn branch: Put/Get/Delete ops; no key put twice or put and deleted (as etcd)."""
    written: list[tuple[str, bool, bool]] = []  # (key, prefix, is a put)
    for op in ops:
        if not isinstance(op, Put | Get | Delete):
            raise InvalidRequest(f"txn ops must be Put, Get or Delete, got {op!r}")
        if isinstance(op, Get):
            continue
        is_put, prefix = isinstance(op, Put), getattr(op, "prefix", False)
        for key, other_prefix, other_put in written:
            if (is_put or other_put) and _overlaps(key, other_prefix, op.key, prefix):
                raise InvalidRequest(f"txn modifies key {op.key!r} twice; etcd allows each "
                                     f"key to be modified once per transaction")
        written.append((op.key, prefix, is_put))


def _overlaps(a: str, a_prefix: bool, b: str, b_prefix: bool) -> bool:
    if a_prefix and b.startswith(a):
        return True
    return b_prefix and a.startswith(b) or a == b


def check_timeout(timeout: Any) -> float:
    """Client timeouts are positive numbers of seconds."""
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise InvalidRequest(f"timeout must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def as_txn(compare: Iterable[Any], success: Iterable[Any], failure: Iterable[Any]) -> Txn:
    """Build (and so validate) a :class:`Txn` from any iterables."""
    for name, items in (("compare", compare), ("success", success), ("failure", failure)):
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            raise InvalidRequest(f"txn {name} must be a list of ops, got {items!r}")
    return Txn(compare=tuple(compare), success=tuple(success), failure=tuple(failure))
