"""The timeouts and switches of a Raft node (:class:`RaftConfig`).

Its own module so that :mod:`.node` and :mod:`.replication` can both name it
without importing each other; :mod:`.node` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sim import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class RaftConfig:
    """Timeouts (in ms of the node's local clock) and switches of a Raft node."""

    election_timeout: tuple[int, int] = (150, 300)  # the chapter's randomized range
    heartbeat_interval: int = 50
    max_entries_per_message: int = 64
    snapshot_threshold: int | None = None  # compact after this many applied entries
    keep_applied: bool = True  # remember applied entries (for the invariants)
    election_restriction: bool = True  # buggy when False (§5.4.1)
    commit_current_term_only: bool = True  # buggy when False (§5.4.2, Figure 8)
    fast_backup: bool = True  # False: back up one entry per round trip

    def __post_init__(self) -> None:
        low, high = self.election_timeout
        if not 0 < low <= high:
            raise ConfigError(f"election_timeout must be (low, high) with 0 < low <= high, "
                              f"got {self.election_timeout}")
        if not 0 < self.heartbeat_interval < low:
            raise ConfigError(f"heartbeat_interval must be in (0, {low}) so followers hear "
                              f"from the leader before timing out, got {self.heartbeat_interval}")
        if self.max_entries_per_message < 1:
            raise ConfigError(f"max_entries_per_message must be >= 1, "
                              f"got {self.max_entries_per_message}")
        if self.snapshot_threshold is not None and self.snapshot_threshold < 1:
            raise ConfigError(f"snapshot_threshold must be None or >= 1, "
                              f"got {self.snapshot_threshold}")
