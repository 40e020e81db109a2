"""Per-node clocks: skew and drift over the simulator's true time.

``local(t) = t + skew + t * drift_ppm // 1_000_000``. A node only ever sees
its local clock (the ``now`` of every input) and sets timers in local ticks; the simulator
converts a local delay into true time with the drift rate. Clocks are how a
learner breaks a protocol that trusts time: a skewed leader lease, a Spanner
commit wait with too small an epsilon.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

PPM = 1_000_000


@dataclass(frozen=True, slots=True)
class NodeClock:
    """A node's clock: constant ``skew`` ticks plus ``drift_ppm`` parts per million."""

    skew: int = 0
    drift_ppm: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.skew, int):
            raise ConfigError(f"clock skew must be an int number of ticks, got {self.skew!r}")
        if not isinstance(self.drift_ppm, int) or self.drift_ppm <= -PPM:
            raise ConfigError(
                f"clock drift_ppm must be an int > -{PPM} (a clock must move forward), "
                f"got {self.drift_ppm!r}"
            )

    def local(self, true_time: int) -> int:
        """The time this clock shows at ``true_time``."""
        return true_time + self.skew + (true_time * self.drift_ppm) // PPM

    def true_delay(self, local_delay: int) -> int:
        """How many true ticks pass while this clock advances ``local_delay`` ticks."""
        if self.drift_ppm == 0:
            return local_delay
        return -((-local_delay * PPM) // (PPM + self.drift_ppm))  # ceiling division
