"""A run you can scrub: step forward, go back, and fork history.

Theory of operation
-------------------
A :class:`Timeline` owns one live :class:`~consensus_lab.sim.Simulation`
and a log of everything done to it from outside:

* ``moves[j]`` — how step ``base + j + 1`` was taken: ``None`` for the
  simulator's own next event (``sim.step()``), or an event id that was
  fired out of turn (``sim.fire(id)``);
* ``inputs`` — ``(position, action, args)`` for every other external input
  (nemesis actions, network changes, extra buttons), in order; ``position``
  is ``sim.steps`` when it was applied.

The simulator is deterministic in its seed and its external inputs, so the
state at position ``k`` is rebuilt by a fresh simulation with the same
seed, ``setup(sim)``, and the logged inputs and moves up to ``k`` (inputs
logged *at* ``k`` included). Going back rebuilds; going forward continues
the live simulation, following the logged moves while there are any
(redo) and stepping live after that.

Acting anywhere but at the end forks history: the moves and inputs after
the current position are dropped (the future is truncated), then the new
action is applied live and logged.

We rebuild from our own log rather than with ``Simulation.replay`` on the
recorded choice prefix because ``setup`` must run on every rebuilt
simulation (invariants are not recorded choices) and its own inputs
(client requests) are recorded choices: replaying both would apply them
twice. Rebuilding costs one re-execution of the prefix (about 10 µs per
step of a small protocol), so no snapshots are kept.

An :class:`~consensus_lab.sim.InvariantViolation` raised by a step is
caught and kept in ``violation`` (the first one on the current history);
any other exception from a node handler is kept in ``error``. Neither is
raised to the caller: a widget shows them instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..sim import ConfigError, InvariantViolation, Network, Simulation

NodeFactory = Callable[[str, tuple[str, ...]], Any]
Setup = Callable[[Simulation], object]
Extra = Callable[[Simulation], object]

TAKEN_BY_INPUT = -1  # a step taken inside an extra action, not by a move of its own
NEMESIS = ("crash", "restart", "pause", "resume", "partition", "partition_one_way", "heal",
           "set_network", "set_clock")
# Other simulator inputs a timeline can log: lose or duplicate one message, a client
# request, let time pass, schedule a nemesis action (all recorded by the simulator too).
INPUTS = (*NEMESIS, "drop", "duplicate", "submit", "call", "advance", "at")


@dataclass(frozen=True, slots=True)
class Input:
    """An external input applied at ``position`` (``sim.steps`` at the time).

    ``until`` is ``sim.steps`` right after it: larger than ``position`` only
    for an extra action that stepped the simulation itself.
    """

    position: int
    action: str
    args: tuple[Any, ...]
    until: int


class Timeline:
    """A simulation with a history that can be scrubbed and forked."""

    def __init__(self, factory: NodeFactory, node_ids: Any = 3, *, seed: int = 0,
                 network: Network | None = None, setup: Setup | None = None,
                 extras: Mapping[str, Extra] | None = None) -> None:
        self.factory = factory
        self.node_ids = node_ids
        self.seed = seed
        self.network = network
        self.setup = setup
        self.extras = dict(extras or {})
        # Invariant: base + len(moves) == horizon
        self.moves: list[int | None] = []
        self.inputs: list[Input] = []  # Invariant: positions never decrease
        self.reset(seed)

    # ------------------------------------------------------------ state
    @property
    def position(self) -> int:
        """How many steps the current simulation has taken."""
        return self.sim.steps

    @property
    def horizon(self) -> int:
        """The furthest position this history reaches."""
        return self.base + len(self.moves)

    def reset(self, seed: int | None = None) -> None:
        """Start over (with a new ``seed`` if given): empty history."""
        if seed is not None:
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise ConfigError(f"seed must be an int, got {seed!r}")
            self.seed = seed
        self.moves, self.inputs = [], []
        self._fresh()
        self.base = self.sim.steps

    def _fresh(self) -> None:
        self.violation: InvariantViolation | None = None
        self.error: str | None = None
        self._applied = 0  # how many of self.inputs the live sim has had
        self.sim = Simulation(self.factory, self.node_ids, seed=self.seed,
                              network=self.network, trace=True)
        if self.setup is not None:
            self._guard(self.setup, self.sim)

    def _guard(self, fn: Callable[..., object], *args: Any) -> None:
        """Call ``fn``; keep an invariant violation or any other error instead of raising."""
        try:
            fn(*args)
        except InvariantViolation as exc:
            self.violation = self.violation or exc
        except Exception as exc:  # a bug in a handler or an extra: show it, keep going
            self.error = self.error or f"{type(exc).__name__} at step {self.sim.steps}: {exc}"

    # --------------------------------------------------------- moving
    def _apply_inputs(self) -> None:
        while self._applied < len(self.inputs):
            item = self.inputs[self._applied]
            if item.position != self.sim.steps:
                break
            self._applied += 1
            self._perform(item.action, item.args)

    def _perform(self, action: str, args: tuple[Any, ...]) -> None:
        if action == "extra":
            self._guard(self.extras[args[0]], self.sim)
        elif action == "call":  # recorded as (node, method, args): a model checker's client
            node_id, method, call_args = args
            self._guard(self.sim.call, node_id, method, *call_args)
        else:  # nemesis methods validate before changing anything
            getattr(self.sim, action)(*args)

    def _advance(self) -> bool:
        """Take one step: the logged move if there is one, else a live step."""
        index = self.sim.steps - self.base
        before = self.sim.steps
        if index < len(self.moves):
            move = self.moves[index]
            if move is None:
                self._guard(self.sim.step)
            else:
                self._guard(self.sim.fire, move)
        else:
            self._guard(self.sim.step)
            if self.sim.steps > before:
                self.moves.append(None)
        self._apply_inputs()
        return self.sim.steps > before

    def step(self, n: int = 1) -> int:
        """Take up to ``n`` steps; returns how many were taken."""
        taken = 0
        while taken < n and self._advance():
            taken += 1
        return taken

    def goto(self, k: int) -> None:
        """Be at position ``k``: rebuild when going back, step when going forward."""
        if not isinstance(k, int) or k < self.base:
            raise ConfigError(f"position must be an int >= {self.base}, got {k!r}")
        if k < self.sim.steps:
            self._fresh()
            self._apply_inputs()
        while self.sim.steps < k and self._advance():
            pass

    def back(self, n: int = 1) -> None:
        """Go back ``n`` steps (not before the start).

        Steps taken inside an extra action cannot be split: going back
        into them lands before the position where that action was applied.
        """
        target = max(self.base, self.sim.steps - n)
        moved = True
        while moved:
            moved = False
            for item in self.inputs:
                if item.position <= target < item.until and item.position > self.base:
                    target, moved = item.position - 1, True
        self.goto(target)

    # --------------------------------------------------------- acting
    def _truncate(self, position: int) -> None:
        """Fork: forget the moves after ``position`` and the inputs not applied yet."""
        del self.moves[position - self.base:]
        del self.inputs[self._applied:]

    def act(self, action: str, *args: Any) -> None:
        """Apply ``sim.<action>(*args)`` now, forking history; bad input raises."""
        if action != "extra" and action not in INPUTS:
            allowed = ", ".join((*INPUTS, "extra"))
            raise ConfigError(f"unknown action {action!r}; allowed: {allowed}")
        if action == "extra" and args[0] not in self.extras:
            raise ConfigError(f"no extra action {args[0]!r}; have: {', '.join(self.extras)}")
        position = self.sim.steps
        self._perform(action, args)  # a bad nemesis call raises before anything changes
        self._truncate(position)
        self.inputs.append(Input(position, action, tuple(args), self.sim.steps))
        self._applied = len(self.inputs)
        self.moves.extend([TAKEN_BY_INPUT] * (self.sim.steps - position))

    def fire(self, event_id: int) -> None:
        """Fire pending event ``event_id`` next (forks history)."""
        if event_id not in {e.id for e in self.sim.pending()}:
            ids = ", ".join(str(e.id) for e in self.sim.pending()[:20])
            raise ConfigError(f"no pending event #{event_id}; pending: {ids or 'none'}")
        self._truncate(self.sim.steps)
        before = self.sim.steps
        self._guard(self.sim.fire, event_id)
        if self.sim.steps > before:
            self.moves.append(event_id)
        self._apply_inputs()

    def load(self, inputs: list[Any]) -> None:
        """Apply a recorded run's external inputs, each at its step.

        ``inputs`` is ``sim.choices["inputs"]`` of a run made with the same
        factory, nodes, seed, network and setup: ``[step, action, args]``
        triples (``fire`` = an event fired out of turn). Afterwards the
        timeline stands at the last input's step and the run can be stepped,
        rewound and forked like any other.
        """
        for step, action, args in inputs:
            self.goto(step)
            if self.sim.steps != step:
                raise ConfigError(f"the run ended at step {self.sim.steps} before input "
                                  f"{action} at step {step}: not the same run")
            if action == "fire":
                self.fire(*args)
            else:
                self.act(action, *args)
