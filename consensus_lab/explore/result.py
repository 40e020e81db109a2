"""What a search of the model checker found: figures, and the schedules to show.

:func:`~.replay.explore_scene` searches a :class:`~.space.Scene` and
returns an :class:`ExploreResult`: how much of the space it covered, and
the shortest counterexample (breadth-first order) and path to the goal as
:class:`~.schedule.Schedule` values that replay, print, draw and play.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .schedule import Counterexample, Schedule

#: The search orders the checker knows: breadth-first (shortest counterexamples first).
STRATEGIES = ("bfs",)
BOUNDS = ("depth", "states", "time")


@dataclass(frozen=True)
class ExploreResult:
    """What a search found, and how much of the state space it covered."""

    strategy: str
    states: int  # distinct states (with their budgets left) seen, the initial one included
    transitions: int  # moves made (every edge of the state graph walked)
    max_depth: int  # the deepest level reached (moves from the start)
    complete: bool  # every reachable state was checked: no bound cut the search short
    bound_hit: str | None  # "depth", "states" or "time": what cut the search short
    elapsed: float  # seconds
    terminal: int  # states with no move left (nothing pending, no budget)
    violation: Counterexample | None = None
    goal: Schedule | None = None  # a shortest path to a goal state (bfs), if one was found
    #: The search's own moves to the violation, for people. A settled scene's are its
    #: elections, commands and cuts; ``violation`` holds their single moves.
    violation_moves: tuple[str, ...] = ()

    @property
    def states_per_s(self) -> float:
        """Distinct states per second of search."""
        return self.states / self.elapsed if self.elapsed > 0 else float(self.states)

    @property
    def goal_reached(self) -> bool:
        """True when some explored state met the goal."""
        return self.goal is not None

    @property
    def ok(self) -> bool:
        """No invariant was violated within the bounds."""
        return self.violation is None

    def summary(self) -> str:
        """Two or three lines for people."""
        if self.violation is not None:
            verdict = (f"VIOLATION of {self.violation.invariant!r} after "
                       f"{len(self.violation)} moves")
        elif self.complete:
            verdict = "no violation: every reachable state checked (complete)"
        else:
            verdict = f"no violation within the bounds (stopped by the {self.bound_hit} bound)"
        lines = [verdict,
                 f"{self.states} states, {self.transitions} transitions, depth {self.max_depth}, "
                 f"{self.elapsed:.2f} s ({self.states_per_s:,.0f} states/s, {self.strategy})"]
        if self.goal is not None:
            lines.append(f"goal reached in {len(self.goal)} moves")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The figures and the counterexample, JSON-able."""
        return {
            "strategy": self.strategy, "states": self.states, "transitions": self.transitions,
            "states_per_s": round(self.states_per_s, 1), "max_depth": self.max_depth,
            "complete": self.complete, "bound_hit": self.bound_hit,
            "elapsed": round(self.elapsed, 3), "terminal": self.terminal,
            "violation": self.violation.to_json() if self.violation is not None else None,
            "violation_moves": list(self.violation_moves),
            "goal_reached": self.goal_reached,
            "goal_length": len(self.goal) if self.goal is not None else None,
        }
