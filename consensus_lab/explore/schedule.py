"""Schedules found by the search: a counterexample, or a path to a goal.

A :class:`Schedule` is the list of moves (:class:`~.actions.Action`) that
leads from the search's initial state (what ``setup()`` built) to a state
of interest. It replays into a fresh, traced simulation: call ``setup()``
again, then apply the moves by event id. Ids are deterministic, so the
rebuilt run is the run the search saw, and its ``sim.choices`` is an
ordinary recording: :meth:`Simulation.replay` rebuilds it from the
recording alone, and the simulation player can step through it.

A :class:`Counterexample` is a schedule that ends in a broken invariant;
with breadth-first search it is one of the shortest (in moves).

Pictures of a schedule sit above the checker:
:func:`consensus_lab.viz.schedule_spacetime` draws its moves and
:func:`consensus_lab.widgets.schedule_player` opens a player standing at
its last move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim import Network, ReplayDivergence, Simulation
from ..sim.simulation import Invariant
from .actions import Action

Setup = Callable[[], Simulation]


@dataclass(frozen=True)
class Origin:
    """Where a search started: how to rebuild its initial state, and what it checked.

    ``invariants`` are the ones the search added on top of the setup's own;
    ``prefix_steps``, ``prefix_inputs`` and ``prefix_records`` are the
    steps, recorded inputs and trace records of the setup's run;
    ``network`` is the network the setup built the simulation with (its
    ``initial_network``).
    """

    setup: Setup
    invariants: tuple[tuple[str, Invariant], ...] = ()
    prefix_steps: int = 0
    prefix_inputs: tuple[tuple[Any, ...], ...] = ()
    prefix_records: int = 0
    network: Network = field(default_factory=Network)

    @classmethod
    def of(cls, setup: Setup, root: Simulation,
           invariants: tuple[tuple[str, Invariant], ...]) -> Origin:
        """The origin of a search whose setup built ``root``."""
        inputs = tuple(tuple(x) for x in root.choices["inputs"])
        return cls(setup, invariants, root.steps, inputs, len(root.trace),
                   root.initial_network)

    def rebuild(self) -> Simulation:
        """A fresh initial state, with the search's extra invariants installed."""
        sim = self.setup()
        for name, check in self.invariants:
            sim.add_invariant(name, check)
        return sim


@dataclass(frozen=True)
class Schedule:
    """A list of moves from the search's initial state."""

    origin: Origin
    path: tuple[Action, ...]
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.path)

    @property
    def actions(self) -> list[tuple[str, str]]:
        """The moves as ``(kind, what)`` pairs, e.g. ``("fire", "n1->n2 Ping(1)")``."""
        return [a.as_tuple() for a in self.path]

    def replay(self) -> Simulation:
        """A fresh traced run: ``setup()`` then every move (stops at a violation)."""
        sim = self.origin.rebuild()
        for action in self.path:
            action.check_against(sim)
            try:
                action.apply(sim)
            except Exception:  # noqa: BLE001 (a violation, or a handler's crash: stop there)
                break
        return sim

    @property
    def sim(self) -> Simulation:
        """The replayed run (built on first use, then kept)."""
        if "sim" not in self._cache:
            self._cache["sim"] = self.replay()
        sim: Simulation = self._cache["sim"]
        return sim

    def trace_text(self, prefix: bool = False) -> str:
        """The replayed run's trace, one record per line (the setup's part with ``prefix``)."""
        start = 0 if prefix else self.origin.prefix_records
        return "\n".join(str(r) for r in self.sim.trace.records[start:])

    def player_setup(self, sim: Simulation) -> None:
        """Install the invariants of a fresh setup, then redo the setup's inputs."""
        template = self.origin.rebuild()
        for name, check in template.invariants:
            sim.add_invariant(name, check)
        redo_inputs(sim, self.origin.prefix_inputs, self.origin.prefix_steps)

    def to_json(self) -> dict[str, Any]:
        """The moves, and the replay's steps and recorded inputs (what
        :meth:`Simulation.replay` needs with the factory and the network)."""
        return {"length": len(self.path), "actions": [list(a) for a in self.actions],
                "steps": self.sim.steps, "inputs": self.sim.choices["inputs"]}

    def __str__(self) -> str:
        lines = [f"{len(self.path)} moves from the initial state:"]
        lines += [f"  {i:2d}. {action}" for i, action in enumerate(self.path, 1)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Counterexample(Schedule):
    """A schedule that ends with ``invariant`` broken, and the checker's ``message``."""

    invariant: str = ""
    message: str = ""

    def check(self) -> Exception:
        """Replay and return what the last move raised: an InvariantViolation (or, for
        ``invariant == "exception"``, the handler's error); ReplayDivergence if nothing."""
        sim = self.origin.rebuild()
        for action in self.path:
            action.check_against(sim)
            try:
                action.apply(sim)
            except Exception as error:  # noqa: BLE001
                return error
        raise ReplayDivergence(f"replaying the counterexample broke no invariant "
                               f"(expected {self.invariant!r})")

    def to_json(self) -> dict[str, Any]:
        """The invariant, its message, the moves and the recorded inputs."""
        return {"invariant": self.invariant, "message": self.message, **super().to_json()}

    def __str__(self) -> str:
        head = f"invariant {self.invariant!r} violated: {self.message}"
        return f"{head}\n{super().__str__()}"


def redo_inputs(sim: Simulation, inputs: Sequence[Sequence[Any]], steps: int) -> None:
    """Apply recorded ``[step, action, args]`` inputs to a live ``sim`` at their steps,
    stepping in between, until ``sim`` has taken ``steps`` steps."""
    for step, action, args in inputs:
        while sim.steps < step and sim.step():
            pass
        if action == "call":
            node_id, method, call_args = args
            sim.call(node_id, method, *call_args)
        else:
            getattr(sim, action)(*args)
    while sim.steps < steps and sim.step():
        pass
