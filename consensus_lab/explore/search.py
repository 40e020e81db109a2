"""Explicit-state search over every schedule of a small configuration.

Theory of operation
-------------------
A state is a whole :class:`~consensus_lab.sim.Simulation`. Its successors
are the states one move away (:func:`~.actions.moves`: fire any pending
event, and within budgets drop or duplicate a message, crash or restart a
node), each made on a :meth:`~Simulation.clone` of the state. Two states
are the same when their keys are equal: :meth:`Simulation.fingerprint`
(nodes' ``state_key()``, persisted state, messages in flight as a
multiset, live timers by name, crashed nodes, and the memory of stateful
invariants; never the time or the ids). A state seen before with at least
the same fault budgets left is not expanded again (with more budget it
can do all it could with less), which is what makes the search end (UW
DSLabs' search works the same way; TLC and stateright too).

Every invariant installed on the simulation is checked after every move
(the simulator does it after each event; the search after a drop, crash
or restart); the first violation stops the search with a
:class:`~.schedule.Counterexample`. Breadth-first search (the default)
visits states in order of distance from the start, so that counterexample
is one of the shortest. Depth-first search goes deep first (less memory,
longer counterexamples); it re-expands a state reached again by a shorter
path, so that with ``max_depth`` it still covers every state within the
bound.

Two reductions are the caller's to ask for, each sound under a promise
the caller makes: ``dead(sim, event)`` names events whose delivery can
never change anything again (they never fire and are left out of the
key), and ``symmetry`` names interchangeable nodes, whose renamings are
merged (:mod:`.symmetry`). Both keep every reachable state, up to what
the promise says does not matter.

``complete`` is true when the search ran out of new states before any
bound (``max_depth``, ``max_states``, ``time_limit``) cut it short: every
reachable state (under ``allow`` and ``prune``, see :func:`explore`) was
checked. Time is measured on the wall clock for the figures and the time
limit only; it never changes what is explored before the limit.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import ConfigError, InvariantViolation, PendingEvent, Simulation
from ..sim.simulation import Invariant
from .actions import Action, Budgets, Call, CallFilter, EventFilter, moves
from .schedule import Counterexample, Origin, Schedule, Setup
from .symmetry import Canonicalizer, check_group

STRATEGIES = ("bfs", "dfs")
BOUNDS = ("depth", "states", "time")
StateKey = Callable[[Simulation], Hashable]
Invariants = Mapping[str, Invariant] | Iterable[Invariant | tuple[str, Invariant]]


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
            "goal_reached": self.goal_reached,
            "goal_length": len(self.goal) if self.goal is not None else None,
        }


def explore(
    setup: Setup,
    *,
    invariants: Invariants = (),
    goal: Callable[[Simulation], bool] | None = None,
    strategy: str = "bfs",
    max_depth: int | None = None,
    max_states: int | None = None,
    drop_budget: int = 0,
    dup_budget: int = 0,
    crash_budget: int = 0,
    reboot: bool = False,
    crash_nodes: Sequence[str] | None = None,
    calls: Sequence[Call] = (),
    call_to: CallFilter | None = None,
    time_limit: float | None = None,
    allow: EventFilter | None = None,
    prune: Callable[[Simulation], bool] | None = None,
    state_key: StateKey | None = None,
    dead: EventFilter | None = None,
    symmetry: Sequence[str] | None = None,
    stop_at_goal: bool = False,
    exact: bool = False,
) -> ExploreResult:
    """Search every schedule from ``setup()`` for an invariant violation.

    ``setup()`` builds the initial state: a Simulation, perhaps after a
    scripted prefix (client requests, an elected leader). Its invariants
    are checked after every move, and so are ``invariants`` (a mapping
    name -> check, or checks named after their functions; a check is
    ``fn(sim)`` returning None or True when fine, False or a message when
    violated, as for ``sim.add_invariant``). ``goal(sim)`` marks states to
    reach (liveness in the small: "a value can be chosen").

    Faults: ``drop_budget``, ``dup_budget`` and ``crash_budget`` moves per
    schedule; ``reboot`` makes each crash a reboot (crash and restart in
    one move); ``crash_nodes`` are the only nodes that may crash.

    Clients: ``calls`` is a list of ``(method, args)`` commands, such as
    ``("submit", ("x=1",))``, that the search hands out in order, each once,
    at any moment, to any live node ``call_to(sim, node)`` accepts (a client
    that finds the leader); when and to whom is part of the search.

    Bounds: ``max_depth`` moves, ``max_states`` distinct states,
    ``time_limit`` seconds; ``allow(sim, event)`` false takes a pending
    event out of play (no heartbeat timer, say); ``prune(sim)`` true means
    "check this state but do not expand it" (a state constraint, as in
    TLC); ``stop_at_goal`` ends the search at the first goal state.

    State matching: ``state_key(sim)`` replaces the fingerprint (to merge
    states that differ only in what you know is irrelevant);
    ``dead(sim, event)`` true says the event can never change anything
    again (a reply to a round its receiver has left for good): dead events
    never fire and are left out of the state; ``symmetry`` names
    interchangeable nodes whose renamings are merged (:mod:`.symmetry`).
    The seen-set keeps 64-bit hashes of the keys, as TLC keeps fingerprints
    (two states share one with probability about n²/2⁶⁵ for n states:
    3·10⁻⁸ for a million); ``exact=True`` keeps the keys themselves (more
    memory, no such chance; with ``symmetry`` only hashes are kept).
    """
    if state_key is not None and (dead is not None or symmetry):
        raise ConfigError("state_key replaces the fingerprint, so it cannot be combined with "
                          "dead= or symmetry= (build them into your state_key)")
    _check_options(strategy, max_depth, max_states, time_limit,
                   {"drop_budget": drop_budget, "dup_budget": dup_budget,
                    "crash_budget": crash_budget})
    calls = _check_calls(calls)
    root = setup()
    if not isinstance(root, Simulation):
        raise ConfigError(f"setup() must return a Simulation, got {type(root).__name__}")
    _check_network(root)
    extra = _named(invariants)
    origin = Origin.of(setup, root, extra)
    for name, check in extra:
        root.add_invariant(name, check)
    root.tracing = False
    root.trace = type(root.trace)()  # the prefix's records are not needed while searching
    canonical = Canonicalizer(check_group(root, symmetry)) if symmetry else None
    search = _Search(origin, Budgets(drop_budget, dup_budget, crash_budget), strategy,
                     max_depth, max_states, time_limit, allow, prune, state_key, dead,
                     canonical, goal, stop_at_goal, exact, reboot,
                     None if crash_nodes is None else frozenset(crash_nodes), calls, call_to)
    return search.run(root)


def _check_calls(calls: Sequence[Call]) -> tuple[Call, ...]:
    """``calls`` as a tuple of ``(method, args tuple)``; a ConfigError names a bad one."""
    checked: list[Call] = []
    for call in calls:
        if (not isinstance(call, tuple) or len(call) != 2 or not isinstance(call[0], str)
                or not isinstance(call[1], tuple | list)):
            raise ConfigError(f"each of calls must be (method name, args tuple), such as "
                              f"('submit', ('x=1',)); got {call!r}")
        checked.append((call[0], tuple(call[1])))
    return tuple(checked)


def _check_options(strategy: str, max_depth: int | None, max_states: int | None,
                   time_limit: float | None, budgets: dict[str, int]) -> None:
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; allowed: {', '.join(STRATEGIES)}")
    for name, value in (("max_depth", max_depth), ("max_states", max_states)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < 1):
            raise ConfigError(f"{name} must be a positive int or None, got {value!r}")
    if time_limit is not None and (not isinstance(time_limit, int | float) or time_limit <= 0):
        raise ConfigError(f"time_limit must be a positive number of seconds or None, "
                          f"got {time_limit!r}")
    for name, value in budgets.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{name} must be an int >= 0, got {value!r}")


def _check_network(sim: Simulation) -> None:
    """Random loss or duplication would make the search depend on the seed: refuse it."""
    net = sim.network
    for faults in (net.default, *net.links.values()):
        for name in ("drop", "duplicate"):
            if getattr(faults, name):
                raise ConfigError(
                    f"the network {name}s messages at random ({name}={getattr(faults, name)}); "
                    f"the checker explores {name}s itself: set {name}=0 and use "
                    f"{'drop_budget' if name == 'drop' else 'dup_budget'} instead")


def _named(invariants: Invariants) -> tuple[tuple[str, Invariant], ...]:
    """``invariants`` as (name, check) pairs."""
    items = invariants.items() if isinstance(invariants, Mapping) else invariants
    named: list[tuple[str, Invariant]] = []
    for item in items:
        name, check = item if isinstance(item, tuple) else (
            getattr(item, "__name__", repr(item)), item)
        if not callable(check):
            raise ConfigError(f"invariant {name!r} must be callable (sim) -> bool/str/None, "
                              f"got {check!r}")
        named.append((str(name), check))
    return tuple(named)


@dataclass
class _Entry:
    """A state waiting to be expanded."""

    sim: Simulation
    budgets: Budgets
    depth: int
    record: int  # index into _Search.records: how we got here
    pending: list[PendingEvent] | None = None  # sim.pending(), if the key needed it


class _Search:
    """One run of the search; ``run`` returns the result."""

    def __init__(self, origin: Origin, budgets: Budgets, strategy: str,
                 max_depth: int | None, max_states: int | None, time_limit: float | None,
                 allow: EventFilter | None, prune: Callable[[Simulation], bool] | None,
                 key: StateKey | None, dead: EventFilter | None,
                 canonical: Canonicalizer | None, goal: Callable[[Simulation], bool] | None,
                 stop_at_goal: bool, exact: bool, reboot: bool,
                 crash_nodes: frozenset[str] | None, calls: tuple[Call, ...] = (),
                 call_to: CallFilter | None = None) -> None:
        self.origin, self.budgets, self.strategy = origin, budgets, strategy
        self.max_depth, self.max_states, self.time_limit = max_depth, max_states, time_limit
        self.prune, self.key, self.dead, self.canonical = prune, key, dead, canonical
        self.allow = _live(allow, dead) if dead is not None else allow
        self.goal, self.reboot, self.crash_nodes = goal, reboot, crash_nodes
        self.stop_at_goal, self.exact = stop_at_goal, exact
        self.calls, self.call_to = calls, call_to
        self.records: list[tuple[int, Action | None]] = [(-1, None)]
        # state key (or its hash) -> the (budgets left, depth) it was reached with
        self.seen: dict[Hashable, list[tuple[Budgets, int]]] = {}
        self.states = 0
        self.transitions = self.terminal = self.deepest = 0
        self.bound_hit: str | None = None
        self.violation: Counterexample | None = None
        self.goal_path: Schedule | None = None
        self._pending: list[PendingEvent] | None = None  # the last fingerprinted state's

    # ----------------------------------------------------------- driver
    def run(self, root: Simulation) -> ExploreResult:
        self.started = time.perf_counter()
        try:
            root.check_invariants()
        except InvariantViolation as violation:
            self._violated(0, None, violation.name, violation.message)
            return self._result()
        self._known(self._fingerprint(root), self.budgets, 0)
        self._check_goal(root, 0)
        todo: deque[_Entry] = deque([_Entry(root, self.budgets, 0, 0)])
        pop = todo.popleft if self.strategy == "bfs" else todo.pop
        expanded = 0
        while todo and not self._done():
            self._expand(pop(), todo)
            expanded += 1
            if self.time_limit is not None and expanded % 32 == 0 and \
                    time.perf_counter() - self.started > self.time_limit:
                self.bound_hit = self.bound_hit if self.bound_hit == "states" else "time"
                break
        return self._result()

    def _done(self) -> bool:
        return (self.violation is not None or self.bound_hit == "states"
                or (self.stop_at_goal and self.goal_path is not None))

    def _expand(self, entry: _Entry, todo: deque[_Entry]) -> None:
        sim = entry.sim
        if self.prune is not None and self.prune(sim):
            return
        options = moves(sim, entry.budgets, self.allow, self.reboot, self.crash_nodes,
                        self.calls, self.call_to, entry.pending)
        if not options:
            self.terminal += 1
            return
        if self.max_depth is not None and entry.depth >= self.max_depth:
            self.bound_hit = self.bound_hit or "depth"
            return
        depth = entry.depth + 1
        children: list[_Entry] = []
        for action in options:
            child = sim.clone(touch=action.touches(sim))
            if not self._move(child, action, entry.record):
                return
            budgets = entry.budgets.after(action)
            self._pending = None
            if self._known(self._fingerprint(child), budgets, depth):
                continue
            self.records.append((entry.record, action))
            record = len(self.records) - 1
            self.deepest = max(self.deepest, depth)
            self._check_goal(child, record)
            children.append(_Entry(child, budgets, depth, record, self._pending))
            if self.max_states is not None and self.states >= self.max_states:
                self.bound_hit = "states"
                break
        todo.extend(children if self.strategy == "bfs" else reversed(children))

    def _move(self, sim: Simulation, action: Action, parent: int) -> bool:
        """Apply ``action``; on a violation record it and return False."""
        self.transitions += 1
        try:
            action.apply(sim)
        except InvariantViolation as violation:
            self._violated(parent, action, violation.name, violation.message)
            return False
        except Exception as error:  # noqa: BLE001 (a crash in a handler is a bug found)
            self._violated(parent, action, "exception", f"{type(error).__name__}: {error}")
            return False
        return True

    def _fingerprint(self, sim: Simulation) -> Hashable:
        """The state's key; only its 64-bit hash unless ``exact``."""
        if self.key is not None:
            state: Hashable = self.key(sim)
        else:
            dead = self.dead
            ignore: Collection[int] = ()
            if dead is not None:
                self._pending = sim.pending()  # kept for the state's moves
                ignore = {e.id for e in self._pending if dead(sim, e)}
            state = sim.fingerprint(ignore)
            if self.canonical is not None:  # a class of renamed states: its hash only
                return self.canonical(sim, state, ignore)
        return state if self.exact else hash(state)

    def _known(self, key: Hashable, budgets: Budgets, depth: int) -> bool:
        """True when this state was seen with at least these fault budgets left (and,
        with a depth bound, by a path at least as short); else remember it."""
        seen = self.seen.setdefault(key, [])
        for known_budgets, known_depth in seen:
            if known_budgets.covers(budgets) and (self.max_depth is None
                                                  or known_depth <= depth):
                return True
        seen.append((budgets, depth))
        self.states += 1
        return False

    # ----------------------------------------------------------- results
    def _path(self, record: int) -> tuple[Action, ...]:
        path: list[Action] = []
        while record > 0:
            record, action = self.records[record]
            assert action is not None
            path.append(action)
        return tuple(reversed(path))

    def _violated(self, parent: int, action: Action | None, name: str, message: str) -> None:
        path = self._path(parent) + ((action,) if action is not None else ())
        self.deepest = max(self.deepest, len(path))
        self.violation = Counterexample(self.origin, path, invariant=name, message=message)

    def _check_goal(self, sim: Simulation, record: int) -> None:
        if self.goal is not None and self.goal_path is None and self.goal(sim):
            self.goal_path = Schedule(self.origin, self._path(record))

    def _result(self) -> ExploreResult:
        complete = self.violation is None and self.bound_hit is None and not (
            self.stop_at_goal and self.goal_path is not None)
        return ExploreResult(
            strategy=self.strategy, states=self.states, transitions=self.transitions,
            max_depth=self.deepest, complete=complete, bound_hit=self.bound_hit,
            elapsed=time.perf_counter() - self.started, terminal=self.terminal,
            violation=self.violation, goal=self.goal_path)


def _live(allow: EventFilter | None, dead: EventFilter) -> EventFilter:
    """``allow`` that also takes dead events out of play."""
    def live(sim: Simulation, event: PendingEvent) -> bool:
        return not dead(sim, event) and (allow is None or allow(sim, event))
    return live
