"""What a search is asked and what it answers: scenes, budgets, results, trails.

A :class:`Scene` is a search problem on world values (the model, the
invariants, the bounds and the faults allowed); :class:`Found` is what a
:class:`~.space.Search` of it found; :class:`Progress` is what its
``progress`` callback is shown while it runs. A trail is the path to a
state as a linked list of ``(parent's trail, move)``, so a frontier of
millions shares its prefixes; :func:`path_of` unrolls one.
:func:`independent` is the commutation the sleep sets rely on (see
:mod:`.space` for why it is sound).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim.world import Model, Move, Packet, World
from .canon import Signature

__all__ = ["Budget", "Entry", "Found", "InputFilter", "MoveFilter", "PacketFilter",
           "Progress", "Scene", "Trail", "WorldCheck", "WorldFilter", "independent",
           "path_of"]

WorldCheck = Callable[[Model, World], "bool | str | None"]
MoveFilter = Callable[[Model, World, Move], bool]
PacketFilter = Callable[[Model, World, Packet], bool]
WorldFilter = Callable[[Model, World], bool]
InputFilter = Callable[[Model, World, str], bool]
Trail = tuple[Any, Move] | None  # (the parent's trail, the move): a path as a linked list
Budget = tuple[int, int, int, int, int]  # drops, dups, crashes, budgeted fires left; inputs out
#: A frontier entry: world, budget, trail, depth, name, its renaming, the only moves to take.
Entry = tuple[World, Budget, Trail, int, Hashable, "dict[str, str] | None",
              "frozenset[Move] | None"]

_LOCAL = frozenset({"deliver", "fire"})


@dataclass(frozen=True)
class Progress:
    """How far a search has got (what ``progress`` callbacks receive)."""

    states: int
    transitions: int
    depth: int
    elapsed: float
    frontier: int

    @property
    def states_per_s(self) -> float:
        """Distinct states per second so far."""
        return self.states / self.elapsed if self.elapsed > 0 else 0.0


@dataclass(frozen=True)
class Scene:
    """A search problem: the model, what to check, and what may happen.

    ``invariants`` map a name to ``check(model, world)`` (None or True: ok;
    False or a string: broken). ``allow(model, world, move)`` false takes a
    delivery or timer out of play (a bound, such as "no heartbeat timer");
    ``prune(model, world)`` true checks a world but does not expand it;
    ``goal(model, world)`` true is a world worth a shortest path.
    ``inputs`` are client inputs handed out in their order, each once, to
    any live node ``input_to`` accepts. Firings of the timers named in
    ``budgeted`` share a budget of ``fires`` (Raft's elections: at most so
    many in all). ``symmetry`` names interchangeable
    nodes and ``signature`` a renaming-free colour of a node's state.
    ``prefix``: scripted moves taken, outside every budget, before the search.

    Two promises keep the reductions sound. ``dead(model, world, packet)``
    reads only the packet and its addressee's state (so after a move only
    packets to the node that moved, and those it sent, are looked at again).
    ``allow_is_local`` says that ``allow`` reads only the moving node's state:
    a move at one node then never enables or disables a move at another, as
    sleep sets assume; without the promise a scene with an ``allow`` filter
    is searched without them.
    """

    model: Model
    invariants: Mapping[str, WorldCheck] = field(default_factory=dict)
    allow: MoveFilter | None = None
    dead: PacketFilter | None = None
    prune: WorldFilter | None = None
    goal: WorldFilter | None = None
    inputs: Sequence[Any] = ()
    input_to: InputFilter | None = None
    drops: int = 0
    duplicates: int = 0
    crashes: int = 0
    reboot: bool = False
    crash_nodes: Sequence[str] | None = None
    symmetry: Sequence[str] = ()
    signature: Signature | None = None
    allow_is_local: bool = False
    budgeted: frozenset[str] = frozenset()  # timer names whose firings share a budget
    fires: int = 0  # how many firings of those timers the search may make in all
    prefix: tuple[Move, ...] = ()  # scripted moves taken before the search (depth 0 after)


@dataclass
class Found:
    """What a search found: figures, and the trails to a violation or the goal."""

    states: int = 0
    transitions: int = 0
    max_depth: int = 0
    terminal: int = 0
    complete: bool = False
    bound_hit: str | None = None
    elapsed: float = 0.0
    invariant: str = ""
    message: str = ""
    violation: list[Move] | None = None
    goal: list[Move] | None = None
    terminal_worlds: set[Hashable] = field(default_factory=set)

    @property
    def states_per_s(self) -> float:
        """Distinct states per second of search."""
        return self.states / self.elapsed if self.elapsed > 0 else float(self.states)


def path_of(trail: Trail) -> list[Move]:
    """The moves of a trail, first move first."""
    moves: list[Move] = []
    while trail is not None:
        trail, move = trail
        moves.append(move)
    return moves[::-1]


def independent(a: Move, b: Move) -> bool:
    """Deliveries and timer firings at two different nodes commute (module docstring)."""
    return a.kind in _LOCAL and b.kind in _LOCAL and a.node != b.node
