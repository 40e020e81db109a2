"""TrueTime: a clock that admits how wrong it may be (Spanner, OSDI 2012, §3).

Theory of operation
-------------------
Spanner's TrueTime API has three calls (Table 1 of the paper):

* ``TT.now()`` returns an interval ``TTinterval: [earliest, latest]``;
* ``TT.after(t)`` is true if ``t`` has definitely passed;
* ``TT.before(t)`` is true if ``t`` has definitely not arrived.

The promise behind it: the absolute (true) time at which ``TT.now()`` was
called lies inside the interval. Google keeps that promise with GPS and
atomic clocks and a bound ε on the error that the time daemons compute; in
the lab a node's clock is the simulator's per-node clock (``ctx.now``, see
:mod:`consensus_lab.sim.clock`) and ε is a number you choose. The interval
is ``[local - ε, local + ε]``, so the promise holds exactly while the real
error ``|local - true|`` stays within ε. Give a node a skew or a drift larger
than ε (the cluster's ``clock_error`` and ``drift_ppm`` knobs) and TrueTime
lies — which is how the notebook breaks Spanner on purpose.

Units: integer simulator ticks, 1 tick = 1 ms, as everywhere in the lab.

The two rules of a read-write commit (§4.1.2) are written here as pure
functions so that the store, the exercise and the tests share them:
:func:`commit_timestamp` ("start": s no less than ``TT.now().latest``) and
:func:`commit_wait_over` ("commit wait": reply only once ``TT.after(s)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class HasClock(Protocol):
    """Anything with a ``now`` clock reading: a simulator Context, or a fake in a test."""

    @property
    def now(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TTInterval:
    """``[earliest, latest]``: true time lies somewhere in here (Spanner §3, Table 1)."""

    earliest: int
    latest: int

    def __post_init__(self) -> None:
        for name in ("earliest", "latest"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"TTInterval.{name} must be an int (ms), got {value!r}")
        if self.earliest > self.latest:
            raise ValueError(f"TTInterval needs earliest <= latest, got "
                             f"[{self.earliest}, {self.latest}]")

    @property
    def width(self) -> int:
        """``latest - earliest``: 2ε for TrueTime (the paper's "instantaneous error bound")."""
        return self.latest - self.earliest

    def after(self, t: int) -> bool:
        """``t`` has definitely passed: even the earliest possible true time is beyond it."""
        return self.earliest > t

    def before(self, t: int) -> bool:
        """``t`` has definitely not arrived: even the latest possible true time is short of it."""
        return self.latest < t

    def __str__(self) -> str:
        return f"[{self.earliest}, {self.latest}]"


@dataclass(frozen=True, slots=True)
class TrueTime:
    """TrueTime over a node's local clock with an assumed error bound ``epsilon`` (ms).

    ``TrueTime(epsilon=7).now(ctx)`` reads ``ctx.now`` and widens it by ε on
    each side; ``.at(local)`` does the same for a reading already in hand
    (a step function gets it with its input). The object holds no clock of
    its own, so a node can keep one and stay sans-I/O.
    """

    epsilon: int

    def __post_init__(self) -> None:
        if not isinstance(self.epsilon, int) or isinstance(self.epsilon, bool) \
                or self.epsilon < 0:
            raise ValueError(f"TrueTime epsilon must be an int number of ms >= 0, "
                             f"got {self.epsilon!r}")

    def now(self, clock: HasClock) -> TTInterval:
        """``TT.now()``: ``[local - ε, local + ε]`` at this node's clock reading."""
        return self.at(clock.now)

    def at(self, local: int) -> TTInterval:
        """``TT.now()`` when the local clock reads ``local``: ``[local - ε, local + ε]``.

        A step function gets its clock reading with its input and calls this.
        """
        return TTInterval(local - self.epsilon, local + self.epsilon)

    def after(self, clock: HasClock, t: int) -> bool:
        """``TT.after(t)``: true if ``t`` has definitely passed."""
        return self.now(clock).after(t)

    def before(self, clock: HasClock, t: int) -> bool:
        """``TT.before(t)``: true if ``t`` has definitely not arrived."""
        return self.now(clock).before(t)


def commit_timestamp(now: TTInterval, last_timestamp: int) -> int:
    """The commit timestamp ``s`` of a read-write transaction (Spanner §4.1.2, "Start").

    "The commit timestamp s_i [is] no less than the value of TT.now().latest,
    computed after e_i^server" (the commit request's arrival). Timestamps a
    leader assigns also rise strictly (§4.1.1, monotonicity within a Paxos
    group), so ``s`` is above ``last_timestamp`` too.
    """
    return max(now.latest, last_timestamp + 1)


def commit_wait_over(now: TTInterval, s: int) -> bool:
    """Commit wait (Spanner §4.1.2): clients may see the commit only once ``TT.after(s)``.

    True when ``now.earliest > s``: every possible true time is past ``s``, so
    ``s`` is below the absolute time of the commit's reply.
    """
    return now.after(s)


def wait_ticks(now: TTInterval, s: int) -> int:
    """Local ticks until ``TT.after(s)`` would hold (0 if it already does)."""
    return max(0, s - now.earliest + 1)
