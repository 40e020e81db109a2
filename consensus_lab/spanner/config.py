"""The store's shape and its swappable rules (the commit wait exercise plugs in here)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

from ..sim import ConfigError
from .truetime import TrueTime, TTInterval, commit_timestamp, commit_wait_over

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
