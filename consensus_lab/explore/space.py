"""Breadth-first search over world values: the model checker on step protocols.

Theory of operation
-------------------
A state of the search is a :class:`~consensus_lab.sim.world.World` (node
states, storage, timers, messages in flight) together with the fault
budgets left. Its successors are :meth:`Model.apply` of every move
(:meth:`Model.moves`: deliver any message in flight, fire any live timer;
within budgets drop or duplicate a message, crash, restart or reboot a
node, hand the next client input to a node). A world *is* its own
fingerprint: two states are the same when the values are equal, so
filing a state is one hash of a tuple — no clone, no hand-written key.

Breadth-first order visits states by distance from the start, so the
first broken invariant comes with one of the shortest counterexamples.
The frontier holds concrete worlds, each with the trail of moves that
reached it; a counterexample is that trail, replayed in a traced
:class:`~consensus_lab.sim.Simulation` running the same protocols (see
:mod:`.replay`) for the trace, the player and the diagrams.

Reductions, each sound for the invariants we check (predicates of one
world, which may read the observer's ghost — the memory of the past):

* **Dead messages** (``dead``): a packet the caller promises can never
  change anything again is taken out of the world at once.
* **Symmetry** (``symmetry``): worlds that differ by a renaming of
  interchangeable nodes are filed under one canonical name
  (:mod:`.canon`) and expanded once. Sound because such worlds behave
  alike up to the renaming, and no invariant names a node of the group.
* **Partial-order reduction by sleep sets** (``por``; Godefroid 1996,
  ch. 5). Two moves are *independent* when they are deliveries or timer
  firings at two different nodes: each reads and writes only its own
  node's state, storage and timers, removes only its own message and adds
  messages (a multiset, so the order of additions does not matter);
  neither can disable the other. So from a world ``w``, ``w·a·b`` and
  ``w·b·a`` are the same world: having explored ``a`` first, the search
  puts ``a`` to *sleep* in ``w·b`` and does not take it there. Faults and
  inputs share a budget and are never independent of anything. Sleep sets
  prune *transitions*, never states: every world reachable without the
  reduction is still reached, at the same depth (a slept move's target is
  reached by the commuted path of the same length). When a world is
  reached again with a smaller sleep set, the moves that woke up are
  explored from it then (the state-matching rule of Godefroid, §5.3). So
  every invariant of one world is checked on every reachable world, and
  the terminal worlds are the same: the tests check both, with and
  without the reduction. A model whose moves are not single steps (a
  :class:`~.settled.SettledModel` delivers whole rounds) says so with
  ``local_steps = False``, and is searched without the reduction.

Time is the wall clock's only for the figures and ``time_limit``; it never
changes what is explored before the limit.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from ..sim import ConfigError
from ..sim.step import Effects, Send
from ..sim.world import Move, World
from .canon import Symmetry
from .scene import (
    _LOCAL,
    Budget,
    Entry,
    Found,
    InputFilter,
    MoveFilter,
    PacketFilter,
    Progress,
    Scene,
    Trail,
    WorldCheck,
    WorldFilter,
    independent,
    path_of,
)

__all__ = ["Budget", "Found", "InputFilter", "MoveFilter", "PacketFilter", "Progress",
           "Scene", "Search", "Trail", "WorldCheck", "WorldFilter", "independent", "path_of"]

_NOTHING: frozenset[Move] = frozenset()

class Search:
    """One breadth-first search of a :class:`Scene` (see the module docstring)."""

    def __init__(self, scene: Scene, *, por: bool = True, symmetry: bool = True,
                 keep_terminal: bool = False) -> None:
        self.scene = scene
        self.model = scene.model
        self.por = por and self.model.local_steps and (scene.allow is None
                                                       or scene.allow_is_local)
        self.budgeted = scene.budgeted
        self.keep_terminal = keep_terminal
        self.symmetry = (Symmetry(self.model, scene.symmetry, scene.signature)
                         if symmetry and scene.symmetry else None)
        crashable = scene.crash_nodes if scene.crash_nodes is not None else self.model.ids
        self.crashable = tuple(n for n in self.model.ids if n in crashable)

    # ------------------------------------------------------------ one state
    def normal(self, world: World, move: Move | None = None, effects: Effects = ()) -> World:
        """``world`` without the packets the scene calls dead.

        After a local ``move`` only two kinds of packet can have died: those to the
        node that moved (its state changed) and those it just sent; ``dead`` reads
        only a packet and its addressee's state, so the others are as they were.
        """
        dead = self.scene.dead
        if dead is None or not world.net:
            return world
        model = self.model
        if move is None or move.kind not in _LOCAL:
            net = tuple(p for p in world.net if not dead(model, world, p))
        else:
            mover = move.node
            sent = {(e.dst, mover, e.msg) for e in effects if type(e) is Send}
            net = tuple(p for p in world.net if not (
                (p[0] == mover or p in sent) and dead(model, world, p)))
        return world if len(net) == len(world.net) else world._replace(net=net)

    def key(self, world: World, budget: Budget) -> tuple[Hashable, dict[str, str] | None]:
        """The state's name (its canonical world and budgets), and the renaming used."""
        if self.symmetry is None:
            return (world, budget), None
        canon, mapping = self.symmetry.canon(world)
        return (canon, budget), mapping

    def moves(self, world: World, budget: Budget) -> list[Move]:
        """Every move the scene allows from ``world`` with ``budget`` left."""
        scene, model = self.scene, self.model
        local = model.moves(world)
        drops, dups, crashes, fires, handed = budget
        if not fires and self.budgeted:
            local = [m for m in local if m.kind != "fire" or m.name not in self.budgeted]
        if scene.allow is not None:
            local = [m for m in local if scene.allow(model, world, m)]
        found = list(local)
        if drops or dups:
            for move in local:
                if move.kind == "deliver":
                    if drops:
                        found.append(Move("drop", move.node, move.packet))
                    if dups:
                        found.append(Move("duplicate", move.node, move.packet))
        up = model.up(world)
        if crashes:
            kind = "reboot" if scene.reboot else "crash"
            found.extend(Move(kind, n) for n in self.crashable if n in up)
        if not scene.reboot:
            found.extend(Move("restart", n) for n in model.ids if n not in up)
        if handed < len(scene.inputs):
            value = scene.inputs[handed]
            found.extend(Move("input", n, value=value) for n in up
                         if scene.input_to is None or scene.input_to(model, world, n))
        return found

    def after(self, budget: Budget, move: Move) -> Budget:
        """The budget left once ``move`` is taken."""
        drops, dups, crashes, fires, handed = budget
        kind = move.kind
        if kind == "fire" and move.name in self.budgeted:
            return (drops, dups, crashes, fires - 1, handed)
        if kind == "drop":
            return (drops - 1, dups, crashes, fires, handed)
        if kind == "duplicate":
            return (drops, dups - 1, crashes, fires, handed)
        if kind in ("crash", "reboot"):
            return (drops, dups, crashes - 1, fires, handed)
        if kind == "input":
            return (drops, dups, crashes, fires, handed + 1)
        return budget

    def broken(self, world: World) -> tuple[str, str] | None:
        """The first invariant ``world`` breaks, with its message."""
        for name, check in self.scene.invariants.items():
            result = check(self.model, world)
            if result is False or isinstance(result, str):
                return name, result if isinstance(result, str) else "returned False"
        return None

    # ------------------------------------------------------------ the search
    def run(self, *, max_depth: int | None = None, max_states: int | None = None,
            time_limit: float | None = None,
            progress: Callable[[Progress], None] | None = None,
            every: float = 1.0) -> Found:
        """Search until a violation, exhaustion or a bound; return what was found."""
        for name, bound in (("max_depth", max_depth), ("max_states", max_states)):
            if bound is not None and (not isinstance(bound, int) or bound < 1):
                raise ConfigError(f"{name} must be a positive int or None, got {bound!r}")
        collecting = gc.isenabled()
        gc.disable()  # worlds are acyclic tuples: the cycle collector only costs time here
        try:
            return self._search(max_depth, max_states, time_limit, progress, every)
        finally:
            if collecting:
                gc.enable()

    def _search(self, max_depth: int | None, max_states: int | None,
                time_limit: float | None, progress: Callable[[Progress], None] | None,
                every: float) -> Found:
        scene = self.scene
        por = self.por
        found = Found()
        start = time.perf_counter()
        world = self.model.initial()
        for move in scene.prefix:  # a scripted start: depth and budgets count from its end
            world = self.model.apply(world, move)[0]
        world = self.normal(world)
        budget: Budget = (scene.drops, scene.duplicates, scene.crashes, scene.fires, 0)
        key, mapping = self.key(world, budget)
        # name -> [its sleep set in canonical names, expanded yet?]
        seen: dict[Hashable, list[Any]] = {key: [frozenset(), False]}
        frontier: deque[Entry] = deque([(world, budget, None, 0, key, mapping, None)])
        found.states = 1
        if self._stop_at(found, world, None):
            found.elapsed = time.perf_counter() - start
            return found
        next_report = every
        while frontier:
            world, budget, trail, depth, key, mapping, only = frontier.popleft()
            entry = seen[key]
            entry[1] = True
            sleep = self._local_names(entry[0], mapping)
            if scene.prune is not None and scene.prune(self.model, world):
                continue
            if max_depth is not None and depth >= max_depth:
                found.bound_hit = "depth"
                continue
            moves = self.moves(world, budget)
            if not moves:
                found.terminal += 1
                if self.keep_terminal:
                    found.terminal_worlds.add(key)
                continue
            done: list[Move] = []
            for move in moves:
                if move in sleep or (only is not None and move not in only):
                    continue  # asleep, or taken at an earlier visit (never counted as done)
                local = move.kind in _LOCAL and not (
                    move.kind == "fire" and move.name in self.budgeted)  # a shared budget
                if por and local and (sleep or done):
                    node = move.node
                    child_sleep = frozenset([m for m in (*sleep, *done)
                                             if m.node != node and m.kind in _LOCAL])
                else:
                    child_sleep = _NOTHING
                if por and local:
                    done.append(move)
                child, effects = self.model.apply(world, move)
                child = self.normal(child, move, effects)
                child_budget = self.after(budget, move)
                found.transitions += 1
                child_key, child_mapping = self.key(child, child_budget)
                canon_sleep = self._canon_names(child_sleep, child_mapping)
                known = seen.get(child_key)
                child_trail = (trail, move)
                if known is None:
                    seen[child_key] = [canon_sleep, False]
                    found.states += 1
                    found.max_depth = max(found.max_depth, depth + 1)
                    if self._stop_at(found, child, child_trail):
                        break
                    frontier.append((child, child_budget, child_trail, depth + 1, child_key,
                                     child_mapping, None))
                elif self.por:
                    woken = known[0] - canon_sleep
                    if woken:
                        known[0] = known[0] & canon_sleep
                        if known[1]:  # expanded already: take the woken moves from it now
                            frontier.append((child, child_budget, child_trail, depth + 1,
                                             child_key, child_mapping,
                                             self._local_names(woken, child_mapping)))
                if max_states is not None and found.states >= max_states:
                    found.bound_hit = "states"
                    break
            if found.violation is not None or found.bound_hit == "states":
                break
            if time_limit is not None or progress is not None:
                elapsed = time.perf_counter() - start
                if time_limit is not None and elapsed > time_limit:
                    found.bound_hit = "time"
                    break
                if progress is not None and elapsed >= next_report:
                    next_report = elapsed + every
                    progress(Progress(found.states, found.transitions, depth, elapsed,
                                      len(frontier)))
        self.seen = seen  # the names of every state met (tests compare reductions)
        found.elapsed = time.perf_counter() - start
        found.complete = found.violation is None and found.bound_hit is None and not frontier
        return found

    def _stop_at(self, found: Found, world: World, trail: Trail) -> bool:
        """Check ``world``; record a violation (stop) or a first goal (go on)."""
        broken = self.broken(world)
        if broken is not None:
            found.invariant, found.message = broken
            found.violation = path_of(trail)
            return True
        goal = self.scene.goal
        if goal is not None and found.goal is None and goal(self.model, world):
            found.goal = path_of(trail)
        return False

    def _canon_names(self, moves: frozenset[Move], mapping: dict[str, str] | None,
                     ) -> frozenset[Move]:
        """``moves`` renamed into the canonical names of their world."""
        if not moves or mapping is None or self.symmetry is None:
            return moves
        rename = self.symmetry.renamer(mapping)
        return frozenset(rename(m) for m in moves)

    def _local_names(self, moves: frozenset[Move], mapping: dict[str, str] | None,
                     ) -> frozenset[Move]:
        """Canonical ``moves`` renamed back into the names of a world that ``mapping``
        renames into the canonical ones."""
        if not moves or mapping is None or self.symmetry is None:
            return moves
        rename = self.symmetry.renamer({v: k for k, v in mapping.items()})
        return frozenset(rename(m) for m in moves)
