"""SimulationPlayer: play, pause, step, scrub and break a simulation in a notebook.

Theory of operation
-------------------
The player is a thin ipywidgets face on a
:class:`~consensus_lab.widgets.timeline.Timeline`, which keeps the live
simulation and the log that rebuilds any earlier step (going back = replay
the prefix; acting after going back = fork history). Every control calls a
public method of the player (``step``, ``back``, ``goto``, ``crash``, ``fire``,
...), and every public method ends with :meth:`refresh`, which copies the
simulation's state into the widgets and redraws the views. So a test or a
notebook cell drives the player exactly as a learner's clicks do, without a
browser (``button.click()`` runs its handler).

Playing uses an ``ipywidgets.Play`` (a timer that lives in the browser and
increments its ``value``): its value mirrors the position, so each tick
asks for "position + 1" and the player takes one step; no threads run in
the kernel. The Play's stop button sends it back to the start.

Errors never escape a click: an invariant violation (kept by the timeline)
and a bad action (crash a crashed node, an empty partition) are shown in
red in the status line. Called from Python, a bad action raises.

Every major widget has a stable CSS class (``cl-player``, ``cl-step``,
``cl-back``, ``cl-crash``, ``cl-status``, ``cl-cluster``, ``cl-spacetime``,
...; see ``self.w``) so browser tests can find it.

RaftScope's two interventions are buttons too: **drop** loses the chosen
pending message (``sim.drop``, logged like any other input, so going back
and forward replays it) and **time out** fires the chosen node's pending
``election`` timer now (any node's earliest timer when it has none by that
name), logged as an out-of-turn move. ``extra_views`` adds views of your
own, each ``fn(sim)`` returning HTML (a string or anything with
``_repr_html_``), an :class:`~consensus_lab.viz.SvgDiagram` or a Graphviz
graph; they are drawn under the cluster diagram, in the order given, each
in a widget with the class ``cl-view-<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any

import ipywidgets as widgets

from ..sim import InvariantViolation, Network, Simulation, SimulationError
from ..viz.cluster import NodeLines
from .controls import build_controls, set_range
from .player_views import PlayerViews
from .timeline import Extra, NodeFactory, Setup, Timeline

VIEWS = ("cluster", "spacetime", "tables")
PLAY_AHEAD = 1_000_000


class SimulationPlayer(PlayerViews):
    """A simulation with VCR controls, fault buttons and live diagrams.

    ``setup(sim)`` runs on every (re)built simulation (submit client
    requests, add invariants); ``buttons`` maps a label to ``fn(sim)`` shown
    as an extra button (recorded, so it replays); ``views`` picks among
    ``cluster``, ``spacetime`` and ``tables``; ``extra_views`` maps a name to
    ``fn(sim)`` drawn under the cluster diagram (``raft_logs``, ``term_timeline``);
    ``timeout_timer`` is the timer the **time out** button prefers;
    ``cluster_lines(sim, node_id)`` replaces the node lines of the cluster diagram.
    """

    def __init__(
        self,
        factory: NodeFactory,
        node_ids: int | Iterable[str] = 3,
        *,
        seed: int = 0,
        network: Network | None = None,
        setup: Setup | None = None,
        views: Sequence[str] = VIEWS,
        buttons: Mapping[str, Extra] | None = None,
        spacetime_last: int = 60,
        spacetime_label: Callable[[Any], str] | None = None,
        trace_lines: int = 8,
        extra_views: Mapping[str, Callable[[Simulation], Any]] | None = None,
        timeout_timer: str = "election",
        cluster_lines: NodeLines | None = None,
    ) -> None:
        unknown = [v for v in views if v not in VIEWS]
        if unknown:
            raise ValueError(f"unknown view {unknown[0]!r}; allowed: {', '.join(VIEWS)}")
        self.views = tuple(views)
        self.extra_views = dict(extra_views or {})
        clash = [n for n in self.extra_views if n in VIEWS]
        if clash:
            raise ValueError(f"extra view {clash[0]!r} has the name of a built-in view; "
                             f"pick another name than {', '.join(VIEWS)}")
        self.timeout_timer = timeout_timer
        self.cluster_lines = cluster_lines
        self.spacetime_last = spacetime_last
        self.spacetime_label = spacetime_label
        self.trace_lines = trace_lines
        self.timeline = Timeline(factory, node_ids, seed=seed, network=network, setup=setup,
                                 extras=buttons)
        self.notice: str | None = None  # the last rejected click, shown in red
        self._quiet = False
        self._svg_cache: tuple[str, str] = ("", "")
        self.w = build_controls(tuple(self.sim.node_ids), list(self.timeline.extras), self.views,
                                list(self.extra_views))
        self.widget: widgets.VBox = self.w["player"]
        self._wire()
        self.refresh()

    # ------------------------------------------------------------ state
    @property
    def sim(self) -> Simulation:
        """The simulation at the current position (replaced on every rebuild)."""
        return self.timeline.sim

    @property
    def position(self) -> int:
        """Steps taken by the current simulation."""
        return self.timeline.position

    @property
    def horizon(self) -> int:
        """The furthest step of the current history (the scrubber's end)."""
        return self.timeline.horizon

    @property
    def violation(self) -> InvariantViolation | None:
        """The first invariant violation on the current history, if any."""
        return self.timeline.violation

    @property
    def error(self) -> str | None:
        """The first exception raised by a node handler or an extra button."""
        return self.timeline.error

    # ------------------------------------------------------ moving (API)
    def _do(self, fn: Callable[..., object], *args: Any) -> None:
        self.notice = None
        try:
            fn(*args)
        finally:
            self.refresh()

    def step(self, n: int = 1) -> int:
        """Take up to ``n`` steps (redoing the recorded future first); returns steps taken."""
        before = self.position
        self._do(self.timeline.step, n)
        return self.position - before

    def back(self, n: int = 1) -> None:
        """Go back ``n`` steps (rebuilds the run up to there)."""
        self._do(self.timeline.back, n)

    def goto(self, k: int) -> None:
        """Go to step ``k`` (back by replay, forward by stepping)."""
        self._do(self.timeline.goto, k)

    def reset(self, seed: int | None = None) -> None:
        """Start a fresh run (with a new ``seed`` if given); forgets the history."""
        self._do(self.timeline.reset, seed)

    # ------------------------------------------------------ acting (API)
    def crash(self, node: str) -> None:
        """Crash ``node`` now (forks history if you went back)."""
        self._do(self.timeline.act, "crash", node)

    def restart(self, node: str) -> None:
        """Restart the crashed ``node`` from its persisted state."""
        self._do(self.timeline.act, "restart", node)

    def pause(self, node: str) -> None:
        """Pause ``node`` (a GC pause: its events wait)."""
        self._do(self.timeline.act, "pause", node)

    def resume(self, node: str) -> None:
        """Resume the paused ``node``."""
        self._do(self.timeline.act, "resume", node)

    def partition(self, *groups: Iterable[str]) -> None:
        """Cut every link between ``groups`` (nodes not named form one more group)."""
        self._do(self.timeline.act, "partition", *[list(g) for g in groups])

    def cut(self, src: str, dst: str) -> None:
        """Cut the one direction ``src -> dst``."""
        self._do(self.timeline.act, "partition_one_way", src, dst)

    def heal(self) -> None:
        """Remove every cut link."""
        self._do(self.timeline.act, "heal")

    def set_network(self, network: Network) -> None:
        """Replace the network model."""
        self._do(self.timeline.act, "set_network", network)

    def set_drop(self, rate: float) -> None:
        """Set the default drop probability of every link."""
        self.set_network(self.sim.network.with_defaults(drop=float(rate)))

    def fire(self, event_id: int) -> None:
        """Fire pending event ``event_id`` next, out of turn (forks history)."""
        self._do(self.timeline.fire, event_id)

    def drop(self, event_id: int) -> None:
        """Lose pending message ``event_id`` in the network (recorded; forks history)."""
        self._do(self.timeline.act, "drop", event_id)

    def time_out(self, node: str) -> None:
        """Fire ``node``'s election timer now (RaftScope's "timeout"), out of turn.

        Fires the pending timer named ``timeout_timer`` (default ``election``)
        of ``node``, or else its earliest pending timer; raises
        :class:`~consensus_lab.sim.SimulationError` when it has none.
        """
        timers = [e for e in self.sim.pending() if e.kind == "timer" and e.node == node]
        if not timers:
            why = "it is crashed" if node in self.sim.crashed else "it has no pending timer"
            raise SimulationError(f"cannot time out {node}: {why}")
        preferred = [e for e in timers if e.name == self.timeout_timer]
        self.fire((preferred or timers)[0].id)

    def submit(self, node: str, f: str, key: Any = None, value: Any = None,
               client: str = "c1", timeout: int | None = None) -> None:
        """A client request to ``node`` (``sim.submit``; recorded, forks history)."""
        self._do(self.timeline.act, "submit", node, f, key, value, client, timeout)

    def load(self, inputs: list[Any]) -> None:
        """Apply a recorded run's inputs (``sim.choices["inputs"]``) at their steps.

        The run must come from the same factory, nodes, seed, network and
        ``setup`` (whose own inputs must not be in ``inputs``). Afterwards
        the player stands at the last input; step on, go back or fork.
        """
        self._do(self.timeline.load, inputs)

    def press(self, label: str) -> None:
        """Run the extra button ``label`` (recorded; forks history)."""
        self._do(self.timeline.act, "extra", label)

    # ---------------------------------------------------------- widgets
    def _click(self, action: Callable[[], object]) -> Callable[[Any], None]:
        def handler(_button: Any = None) -> None:
            if self._quiet:
                return
            try:
                action()
            except (SimulationError, ValueError, KeyError) as exc:
                self.notice = str(exc)
                self._show_status()
        return handler

    def _wire(self) -> None:
        w = self.w
        node = w["node"]
        actions: dict[str, Callable[[], object]] = {
            "step": self.step, "back": self.back,
            "reset": lambda: self.reset(w["seed"].value),
            "crash": lambda: self.crash(node.value), "restart": lambda: self.restart(node.value),
            "pause": lambda: self.pause(node.value), "resume": lambda: self.resume(node.value),
            "partition": lambda: self.partition(w["group"].value), "heal": self.heal,
            "cut": lambda: self.cut(w["cut-src"].value, w["cut-dst"].value),
            "fire": self._fire_selected, "drop-msg": self._drop_selected,
            "timeout": lambda: self.time_out(node.value),
        }
        for name, action in actions.items():
            w[name].on_click(self._click(action))
        for label, button in zip(self.timeline.extras, w["extras"].children, strict=True):
            button.on_click(self._click(partial(self.press, label)))
        observers: dict[str, Callable[[], object]] = {
            "play": lambda: self._on_play(w["play"].value),
            "scrubber": lambda: self.goto(w["scrubber"].value),
            "seed": lambda: self.reset(w["seed"].value),
            "drop": lambda: self.set_drop(w["drop"].value),
            "node": self._sync_node_buttons,
            "pending": self._on_pending,
        }
        for name, action in observers.items():
            w[name].observe(self._click(action), names="value")
        w["speed"].observe(lambda change: setattr(w["play"], "interval", 1000 // change.new),
                           names="value")

    def _fire_selected(self) -> None:
        event_id = self.w["pending"].value
        if event_id is None:
            raise SimulationError("no pending event to deliver")
        self.fire(event_id)

    def _drop_selected(self) -> None:
        event_id = self.w["pending"].value
        if event_id is None:
            raise SimulationError("no pending message to drop")
        self.drop(event_id)

    def _on_play(self, value: int) -> None:
        had_violation = self.violation is not None
        if value > self.position:
            moved = self.step(value - self.position)
            if not moved or (self.violation is not None and not had_violation):
                self.w["play"].playing = False
                self.refresh()
        elif value < self.position:
            self.goto(value)

    def refresh(self) -> None:
        """Copy the simulation's state into the widgets and redraw the views."""
        self._quiet = True
        try:
            self._sync_controls()
        finally:
            self._quiet = False
        self._show_status()
        self._show_views()

    def _sync_controls(self) -> None:
        w, tl = self.w, self.timeline
        set_range(w["scrubber"], tl.base, max(tl.horizon, tl.base), self.position)
        set_range(w["play"], tl.base, self.position + PLAY_AHEAD, self.position)
        w["seed"].value = tl.seed
        w["drop"].value = self.sim.network.default.drop
        w["back"].disabled = self.position <= tl.base
        pending = self.sim.pending()
        selected = w["pending"].value
        w["pending"].options = [(str(e), e.id) for e in pending[:50]]
        ids = [e.id for e in pending[:50]]
        w["pending"].value = selected if selected in ids else (ids[0] if ids else None)
        w["fire"].disabled = not ids
        kinds = {e.id: e.kind for e in pending[:50]}
        w["drop-msg"].disabled = kinds.get(w["pending"].value) != "deliver"
        self._sync_node_buttons()

    def _sync_node_buttons(self) -> None:
        node = self.w["node"].value
        crashed, paused = node in self.sim.crashed, node in self.sim.paused
        self.w["crash"].disabled = crashed
        self.w["restart"].disabled = not crashed
        self.w["pause"].disabled = crashed or paused
        self.w["resume"].disabled = not paused
        self.w["timeout"].disabled = crashed

    def _on_pending(self) -> None:
        kinds = {e.id: e.kind for e in self.sim.pending()[:50]}
        self.w["drop-msg"].disabled = kinds.get(self.w["pending"].value) != "deliver"
        self._show_cluster()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return (f"<SimulationPlayer seed={self.timeline.seed} step={self.position}/"
                f"{self.horizon} t={self.sim.now}>")

