"""The Dynamo-style store's settings and messages (see :mod:`.dynamo` for the rules).

Who sends what to whom: a coordinator sends :class:`Put` (a write, or a read
repair) and :class:`Get` (a read) to the replicas of a key; they answer with
:class:`PutAck` and :class:`GetReply`. :class:`Sync` is one anti-entropy
round from a node to one random peer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sim import ConfigError
from .versions import Sibling

MODES = ("lww", "siblings")


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
    gossip_seed: int = 0  # mixed with each node id: the seed of its gossip-peer generator

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
        if not isinstance(self.gossip_seed, int):
            raise ConfigError(f"gossip_seed must be an int, got {self.gossip_seed!r}")
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
        return f"Put#{self.op_id}({self.key}={show_versions(self.versions)})"


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
        return f"GetOk#{self.op_id}({show_versions(self.versions)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync:
    """node → one random peer, anti-entropy: carries ``(key, versions)`` for every key."""

    items: tuple[tuple[Any, tuple[Any, ...]], ...]

    def __str__(self) -> str:
        return f"Sync({len(self.items)} keys)"


def show_versions(versions: tuple[Any, ...]) -> str:
    """Versions in one line: ``{'a'@n1:1, 'b'@n3:1}`` (siblings) or ``'a'@40.n1`` (LWW)."""
    if versions and isinstance(versions[0], Sibling):
        return "{" + ", ".join(str(s) for s in versions) + "}"
    return ", ".join(f"{v!r}@{ts[0]}.{ts[1]}" for ts, v in versions) or "-"
