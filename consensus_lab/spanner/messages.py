"""The messages between a shard's leader and its replicas (a Paxos group, simplified).

A write is made durable by a majority of the shard's replicas before the
leader lets anybody see it: ``Replicate`` → ``Replicated``. Once the commit
is visible (after commit wait) the leader tells the replicas its timestamp
with ``Commit``, and they apply the writes at that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _writes(writes: tuple[tuple[str, Any], ...]) -> str:
    return " ".join(f"{k}={v}" for k, v in writes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Replicate:
    """leader → each replica of its shard: "log transaction ``txn``'s writes".

    ``ts`` is the commit timestamp when the leader picked it before
    replicating (the overlapped mode of Spanner §4.2.1), else None: the
    timestamp then follows in :class:`Commit`.
    """

    txn: int
    writes: tuple[tuple[str, Any], ...]
    ts: int | None = None

    def __str__(self) -> str:
        ts = "" if self.ts is None else f" s={self.ts}"
        return f"Replicate(T{self.txn}{ts} {_writes(self.writes)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Replicated:
    """replica → leader: "transaction ``txn`` is in my log" (an acknowledgement)."""

    txn: int

    def __str__(self) -> str:
        return f"Replicated(T{self.txn})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    """leader → each replica, after commit wait: "apply ``txn`` at version ``ts``"."""

    txn: int
    ts: int

    def __str__(self) -> str:
        return f"Commit(T{self.txn} s={self.ts})"
