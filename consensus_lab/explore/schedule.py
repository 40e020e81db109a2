"""Schedules found by the search: a counterexample, or a path to a goal.

A :class:`Schedule` is the list of moves (:class:`Action`: fire a pending
event, drop or duplicate a message, crash, restart or reboot a node, call
a node) that leads from the search's initial state (what ``setup()``
built, a scripted prefix included) to a state of interest; the world-value
search's moves become such actions in :func:`~.replay.schedule_of`. It
replays into a fresh, traced simulation: call ``setup()`` again, then
apply the moves by event id. Ids are deterministic, so the rebuilt run is
the run the search saw, and its ``sim.choices`` is an ordinary recording:
:meth:`Simulation.replay` rebuilds it from the recording alone, and the
simulation player can step through it.

A :class:`Counterexample` is a schedule that ends in a broken invariant;
with breadth-first search it is one of the shortest (in moves).

Pictures of a schedule sit above the checker:
:func:`consensus_lab.viz.schedule_spacetime` draws its moves and
:func:`consensus_lab.widgets.schedule_player` opens a player standing at
its last move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..sim import Network, PendingEvent, ReplayDivergence, Simulation
from ..sim.control import apply_input

Setup = Callable[[], Simulation]
#: A client command handed to a node: ``(method, args)``, as for ``sim.call``.
Call = tuple[str, tuple[Any, ...]]


def describe(event: PendingEvent) -> str:
    """An event in words, without its id or time: ``n1->n2 RequestVote(...)``."""
    if event.kind == "deliver":
        return f"{event.src}->{event.node} {event.msg}"
    if event.kind == "timer":
        return f"{event.node} timer {event.name}"
    if event.kind == "request":
        return f"{event.msg.client}->{event.node} {event.msg}"
    if event.kind == "reply":
        return f"reply to {event.node} for {event.msg}"
    return f"{event.kind} {event.node} {event.msg if event.msg is not None else event.name}"


@dataclass(frozen=True, slots=True)
class Action:
    """One move: ``kind`` (fire, drop, duplicate, crash, restart, reboot, call) and its
    target.

    ``event`` is the pending event to fire, drop or duplicate; ``node`` the
    node to crash, restart, reboot or call; ``call`` the command handed to
    it. ``what`` says it in words, without the event's id or time:
    ``n1->n2 Ping(1)``, ``n3 timer election``, ``n2``, ``n1 submit('x=1')``.
    """

    kind: str
    event: PendingEvent | None = None
    node: str = ""
    call: Call | None = None

    @property
    def what(self) -> str:
        """The event in words (see :func:`describe`), the node crashed or restarted,
        or the call made."""
        if self.event is not None:
            return describe(self.event)
        if self.call is not None:
            method, args = self.call
            return f"{self.node} {method}({', '.join(map(repr, args))})"
        return self.node

    @property
    def event_id(self) -> int:
        """The pending event's id (-1 for crash and restart)."""
        return self.event.id if self.event is not None else -1

    def __str__(self) -> str:
        if self.kind == "fire":
            what = self.what
            return f"deliver {what}" if "->" in what else f"fire {what}"
        return f"{self.kind} {self.what}"

    def apply(self, sim: Simulation) -> None:
        """Do this move on ``sim``; raises InvariantViolation if an invariant breaks."""
        if self.kind == "fire":
            sim.fire(self.event_id)
            return
        if self.kind == "drop":
            sim.drop(self.event_id)
        elif self.kind == "duplicate":
            sim.duplicate(self.event_id)
            sim.fire(self.event_id)
            return
        elif self.kind == "crash":
            sim.crash(self.node)
        elif self.kind == "restart":
            sim.restart(self.node)
        elif self.kind == "call":
            assert self.call is not None
            method, args = self.call
            sim.call(self.node, method, *args)  # checks the invariants itself
            return
        else:
            sim.crash(self.node)
            sim.restart(self.node)
        sim.check_invariants()  # fire checks by itself; the others do not

    def check_against(self, sim: Simulation) -> None:
        """Raise :class:`ReplayDivergence` unless ``sim`` has this action's event pending."""
        if self.event is None:
            return
        found = [e for e in sim.pending() if e.id == self.event_id]
        if not found or describe(found[0]) != self.what:
            now = describe(found[0]) if found else "nothing"
            raise ReplayDivergence(
                f"replaying '{self}': event #{self.event_id} is {now} in the rebuilt run; "
                "the setup is not deterministic (same seed, same inputs?)"
            )


@dataclass(frozen=True)
class Origin:
    """Where a search started: how to rebuild its initial state.

    ``setup()`` builds it, invariants installed; ``prefix_steps``,
    ``prefix_inputs`` and ``prefix_records`` are the steps, recorded inputs
    and trace records of the setup's run; ``network`` is the network the
    setup built the simulation with (its ``initial_network``).
    """

    setup: Setup
    prefix_steps: int = 0
    prefix_inputs: tuple[tuple[Any, ...], ...] = ()
    prefix_records: int = 0
    network: Network = field(default_factory=Network)

    @classmethod
    def of(cls, setup: Setup, root: Simulation) -> Origin:
        """The origin of a search whose setup built ``root``."""
        inputs = tuple(tuple(x) for x in root.choices["inputs"])
        return cls(setup, root.steps, inputs, len(root.trace), root.initial_network)


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
        return [(a.kind, a.what) for a in self.path]

    def play(self) -> tuple[Simulation, Exception | None]:
        """A fresh traced run: ``setup()`` then every move, up to the first that raises
        (a violation, or a handler's crash), and what it raised."""
        sim = self.origin.setup()
        for action in self.path:
            action.check_against(sim)
            try:
                action.apply(sim)
            except Exception as error:  # noqa: BLE001
                return sim, error
        return sim, None

    def replay(self) -> Simulation:
        """A fresh traced run: ``setup()`` then every move (stops at a violation)."""
        return self.play()[0]

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
        """Install the invariants of a fresh setup, then redo the setup's inputs at
        their steps, stepping in between, up to the setup's last step."""
        for name, check in self.origin.setup().invariants:
            sim.add_invariant(name, check)
        for step, action, args in self.origin.prefix_inputs:
            while sim.steps < step and sim.step():
                pass
            apply_input(sim, action, list(args))
        while sim.steps < self.origin.prefix_steps and sim.step():
            pass

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
        error = self.play()[1]
        if error is not None:
            return error
        raise ReplayDivergence(f"replaying the counterexample broke no invariant "
                               f"(expected {self.invariant!r})")

    def to_json(self) -> dict[str, Any]:
        """The invariant, its message, the moves and the recorded inputs."""
        return {"invariant": self.invariant, "message": self.message, **super().to_json()}

    def __str__(self) -> str:
        head = f"invariant {self.invariant!r} violated: {self.message}"
        return f"{head}\n{super().__str__()}"

