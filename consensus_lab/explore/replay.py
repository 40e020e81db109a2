"""From a path of world moves to a traced simulation: counterexamples that play.

The search moves :class:`~consensus_lab.sim.world.World` values; people
read traces, space-time diagrams and the player, which all work on a
:class:`~consensus_lab.sim.Simulation`. A :class:`WorldScene` builds that
simulation from the same protocols (one :class:`~consensus_lab.sim.StepNode`
per node), and :func:`schedule_of` turns each move of a path into the
simulation's own move (fire this pending event, crash that node, hand this
input in), checking after each that the simulation's nodes hold exactly
the states of the world the search saw. A scene's scripted ``prefix`` is
replayed the same way as part of the setup, so a schedule starts where the
search started and its trace shows the search's moves only (its
``trace_text(prefix=True)`` the script too). So a counterexample replays,
prints and plays with the classes of :mod:`.schedule`, and any divergence
between the two is caught at the move where it starts.

The scene's invariants run on the simulation too: :class:`WorldInvariants`
rebuilds the world from the simulation after every event (node states,
storage, timers, messages in flight) and keeps the observer's ghost by
watching every node's state change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from ..sim import Network, PendingEvent, ReplayDivergence, Simulation, StepNode
from ..sim.world import Model, Move, World, packet_key
from .result import ExploreResult
from .schedule import Action, Counterexample, Origin, Schedule
from .settled import SettledModel
from .space import Progress, Scene, Search

#: Any message may go next; the search ignores time, so every latency is one tick.
NETWORK = Network(latency=(1, 1))


def _make_node(model: Model, node_id: str, peers: tuple[str, ...]) -> StepNode[Any]:
    return StepNode(node_id, peers, model.protocols[model.index[node_id]])


class WorldInvariants:
    """The scene's invariants as simulation invariants (see the module docstring)."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.model = scene.model
        self.ghost: Any = self.model.initial().ghost
        self.seen: dict[str, Any] = {}

    def install(self, sim: Simulation) -> None:
        """Add one simulation invariant per scene invariant (names kept)."""
        for name, check in self.scene.invariants.items():
            sim.add_invariant(name, partial(self._check, check))

    def world(self, sim: Simulation) -> World:
        """The world the simulation stands in now (the ghost brought up to date)."""
        model = self.model
        observe = model.observe
        states: list[Any] = []
        for node_id in model.ids:
            node = sim.nodes[node_id]
            state = node.state if isinstance(node, StepNode) else None
            if observe is not None and state is not None and self.seen.get(node_id) is not state:
                assert isinstance(node, StepNode)
                self.ghost = observe(self.ghost, node_id, state, node.last_effects)
            self.seen[node_id] = state
            states.append(state)
        return world_of(sim, model, tuple(states), self.ghost)

    def _check(self, check: Callable[[Model, World], Any], sim: Simulation) -> Any:
        return check(self.model, self.world(sim))


def world_of(sim: Simulation, model: Model, states: tuple[Any, ...], ghost: Any) -> World:
    """The world of ``sim``: its nodes' states, storage, live timers and messages."""
    stored = tuple(tuple(sorted(sim.stored(n).items())) for n in model.ids)
    timers: dict[str, list[str]] = {n: [] for n in model.ids}
    net = []
    for event in sim.pending():
        if event.kind == "timer":
            timers[event.node].append(event.name)
        elif event.kind == "deliver":
            net.append((event.node, event.src, event.msg))
    return World(states, stored, tuple(tuple(sorted(set(timers[n]))) for n in model.ids),
                 tuple(sorted(net, key=packet_key)), ghost)


@dataclass(frozen=True)
class WorldScene:
    """A scene and the simulation that runs its protocols (for replays and the player)."""

    scene: Scene

    def setup(self) -> Simulation:
        """A fresh simulation of the scene's protocols with its invariants installed,
        after the scene's prefix (each move checked against the world it leads to)."""
        model = self.scene.model
        sim = Simulation(partial(_make_node, model), model.ids, network=NETWORK)
        WorldInvariants(self.scene).install(sim)
        world = model.initial()
        for move in self.scene.prefix:
            action_of(sim, move).apply(sim)
            world = model.apply(world, move)[0]
            _same_states(sim, model, world, move)
        return sim

    def start(self) -> World:
        """The world the search starts from: the model's initial world after the prefix."""
        world = self.scene.model.initial()
        for move in self.scene.prefix:
            world = self.scene.model.apply(world, move)[0]
        return world


def action_of(sim: Simulation, move: Move) -> Action:
    """The simulation's move for the world's ``move`` (its pending event, by content)."""
    if move.kind in ("crash", "restart", "reboot"):
        return Action(move.kind, node=move.node)
    if move.kind == "input":
        return Action("call", node=move.node, call=("take", (move.value,)))
    event = _pending(sim, move)
    kind = "fire" if move.kind in ("deliver", "fire") else move.kind
    return Action(kind, event)


def _pending(sim: Simulation, move: Move) -> PendingEvent:
    for event in sim.pending():
        if move.packet is not None:
            dst, src, msg = move.packet
            if event.kind == "deliver" and (event.node, event.src) == (dst, src) \
                    and event.msg == msg:
                return event
        elif event.kind == "timer" and event.node == move.node and event.name == move.name:
            return event
    raise ReplayDivergence(f"replaying '{move}': the simulation has no such event pending")


def schedule_of(scene: Scene, path: list[Move], invariant: str = "",
                message: str = "") -> Schedule:
    """The path as a :class:`Schedule` (a :class:`Counterexample` when ``invariant``
    is given), checked move by move against the worlds the search saw."""
    built = WorldScene(scene)
    sim = built.setup()
    model = scene.model
    world = built.start()
    actions: list[Action] = []
    for move in path:
        action = action_of(sim, move)
        actions.append(action)
        world, _ = model.apply(world, move)
        try:
            action.apply(sim)
        except Exception:  # noqa: BLE001 (the violation the path ends in)
            break
        _same_states(sim, model, world, move)
    origin = Origin(built.setup, network=NETWORK) if not scene.prefix else \
        Origin.of(built.setup, built.setup())
    if invariant:
        return Counterexample(origin, tuple(actions), invariant=invariant, message=message)
    return Schedule(origin, tuple(actions))


def _same_states(sim: Simulation, model: Model, world: World, move: Move) -> None:
    for node_id, state in zip(model.ids, world.states, strict=True):
        node = sim.nodes[node_id]
        now = node.state if isinstance(node, StepNode) else None
        if now != state:
            raise ReplayDivergence(f"after '{move}', {node_id} is {now!r} in the simulation "
                                   f"but {state!r} in the search")


def single_moves(scene: Scene, path: list[Move]) -> tuple[Scene, list[Move]]:
    """The scene and path as single moves of a plain model: a settled model's path
    expanded (:meth:`~.settled.SettledModel.expand`), any other as it is."""
    model = scene.model
    if not isinstance(model, SettledModel):
        return scene, path
    return replace(scene, model=model.plain(), prefix=()), model.expand(path)


def outline(scene: Scene, path: list[Move]) -> tuple[str, ...]:
    """The search's own moves, for people: a settled scene's elections, commands
    and cuts (:meth:`~.settled.SettledModel.describe`), any other's as they print."""
    model = scene.model
    show = model.describe if isinstance(model, SettledModel) else str
    return tuple(show(move) for move in path)


def explore_scene(scene: Scene, *, max_depth: int | None = None,
                  max_states: int | None = None, time_limit: float | None = None,
                  por: bool = True, symmetry: bool = True,
                  progress: Callable[[Progress], None] | None = None) -> ExploreResult:
    """Search ``scene`` breadth-first (:class:`~.space.Search`) and return an
    :class:`~.search.ExploreResult` whose counterexample and goal replay and play."""
    found = Search(scene, por=por, symmetry=symmetry).run(
        max_depth=max_depth, max_states=max_states, time_limit=time_limit, progress=progress)
    violation = None
    moves: tuple[str, ...] = ()
    if found.violation is not None:
        moves = outline(scene, found.violation)
        schedule = schedule_of(*single_moves(scene, found.violation), found.invariant,
                               found.message)
        assert isinstance(schedule, Counterexample)
        violation = schedule
    goal = schedule_of(*single_moves(scene, found.goal)) if found.goal is not None else None
    return ExploreResult(strategy="bfs", states=found.states, transitions=found.transitions,
                         max_depth=found.max_depth, complete=found.complete,
                         bound_hit=found.bound_hit, elapsed=found.elapsed,
                         terminal=found.terminal, violation=violation, goal=goal,
                         violation_moves=moves)
