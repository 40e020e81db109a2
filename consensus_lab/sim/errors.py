"""Exceptions raised by the simulator.

Every configuration error names the bad value and what is allowed, e.g.
``ConfigError: drop must be in [0, 1], got 1.5``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .trace import Trace


class SimulationError(Exception):
    """Base class of every error the simulator raises on purpose."""


class ConfigError(SimulationError, ValueError):
    """A bad argument: the message says what was wrong and what is allowed."""


class UnknownNodeError(ConfigError, KeyError):
    """A node id that the simulation does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class ReplayDivergence(SimulationError):
    """A replayed run asked for a different choice than the one recorded.

    This means the code changed since the choice list was recorded (or the
    list belongs to another run): the replay cannot be trusted.
    """


class InvariantViolation(SimulationError):
    """An invariant failed after an event; the run stopped there.

    Attributes carry everything needed to look at and replay the failure:
    the invariant's ``name``, its ``message``, the ``step`` and ``time`` of
    the event after which it failed, the ``trace`` so far, the ``seed`` and
    the recorded ``choices``.
    """

    def __init__(
        self,
        name: str,
        message: str,
        *,
        step: int,
        time: int,
        trace: Trace,
        seed: int,
        choices: dict[str, Any],
    ) -> None:
        self.name = name
        self.message = message
        self.step = step
        self.time = time
        self.trace = trace
        self.seed = seed
        self.choices = choices
        super().__init__(self._summary())

    def _summary(self) -> str:
        head = (
            f"invariant {self.name!r} violated after step {self.step} "
            f"(t={self.time}, seed={self.seed}): {self.message}"
        )
        return f"{head}\nlast events:\n{self.trace.tail(12)}"
