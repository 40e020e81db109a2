"""A network that delivers at once unless a nemesis cuts it: Jepsen's model, as a world.

The asynchronous world of :mod:`consensus_lab.sim.world` lets any message
wait behind any other. That is exact, and it explodes: Raft's Figure 8
needs some thirty single deliveries, each one a level of a breadth-first
search. Jepsen tests use a coarser network, and so does the paper's own
telling of Figure 8 ("S1 crashes", "S5 is elected"): **a message arrives
promptly unless a partition separates its ends or its addressee is down**,
and the faults come from a *nemesis* that cuts the network in two and
heals it. In a :class:`SettledModel` that is the whole story:

* after every move the network **settles**: the messages in flight are
  handled one at a time in the world's canonical order — delivered, or
  lost when the cut separates their ends or their addressee is down — and
  so are the timers named *prompt* (Raft's zero-delay ``replicate``),
  until nothing is left in flight;
* then every live node's *round* timers fire once, in node order, each
  followed by settling again. For Raft that is the heartbeat: the paper
  asks for ``broadcastTime << electionTimeout`` (§5.6), so between two
  election timeouts every leader has sent its heartbeats;
* a **move** is what is left to choose: a timer that is neither prompt
  nor a round fires (an election timeout), the next client input is
  handed to a node, or the nemesis **cuts** the nodes into two sides or
  **heals** the cut (at most ``changes`` of those in all; a cut right
  after a cut is not a move). The nemesis either isolates one node at a
  time (``nemesis="isolate"``, Jepsen's ``partition-random-node``) or
  makes any cut in two (``"any"``).

Every settled run is a run of the asynchronous model: the same single
deliveries in one order, the messages across the cut dropped, the
heartbeats fired. :meth:`SettledModel.expand` turns a path of settled
moves into those single moves, so a counterexample replays in the
simulator like any other. So a violation found here is a real one; "no
violation" speaks only of settled runs. What the model leaves out: a
stale message that arrives late while its ends can talk, two messages
racing in flight, a leader that misses a heartbeat. The asynchronous
scene of :mod:`.raft_scene` keeps those, for small bounds.

The cut and the changes left are part of the world, in its ghost:
``(observer's ghost, cut, changes left, last move was a cut)``, where
``cut`` is a frozenset of the two sides (each a frozenset of node ids),
or ``()`` when the network is whole. Symmetry renames them like every
other value, so a cut of ``{n1, n2}`` from the rest and one of
``{n4, n5}`` are one class. Invariants read the observer's part with
:meth:`SettledModel.observed`, as they would in a plain model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import combinations
from typing import Any

from ..sim import ConfigError
from ..sim.step import Effects, StepProtocol
from ..sim.world import Model, Move, Observer, World

__all__ = ["NEMESES", "SettledModel", "Side"]

Side = frozenset[str]
Cut = frozenset[Side] | tuple[()]
WHOLE: tuple[()] = ()
#: What the nemesis may do: isolate one node from the rest, or cut anywhere in two.
NEMESES = ("isolate", "any")


class SettledModel(Model):
    """A :class:`Model` whose network settles after every move (module docstring).

    ``prompt`` names timers that fire as soon as they are set, as part of
    settling; ``rounds`` names timers each live node fires once after every
    move; neither is ever a choice. ``changes`` bounds the nemesis's cuts
    and heals, and ``nemesis`` (one of :data:`NEMESES`) says which cuts.
    """

    local_steps = False  # a move settles the whole network: no sleep sets

    def __init__(self, protocols: Mapping[str, StepProtocol[Any]],
                 observe: Observer | None = None, ghost: Any = (), *,
                 prompt: frozenset[str] = frozenset(), rounds: frozenset[str] = frozenset(),
                 changes: int = 3, nemesis: str = "any", max_settle: int = 10_000) -> None:
        if not isinstance(changes, int) or isinstance(changes, bool) or changes < 0:
            raise ConfigError(f"changes must be an int >= 0, got {changes!r}")
        if nemesis not in NEMESES:
            raise ConfigError(f"unknown nemesis {nemesis!r}; allowed: {', '.join(NEMESES)}")
        super().__init__(protocols, observe, (ghost, WHOLE, changes, False))
        self.observer_ghost = ghost
        self.prompt = prompt
        self.rounds = rounds
        self.max_settle = max_settle
        self.cuts = tuple(self._isolations() if nemesis == "isolate" else self._two_sides())

    def _two_sides(self) -> Iterator[frozenset[Side]]:
        """Every way to cut the nodes into two non-empty sides."""
        first, *rest = self.ids
        for size in range(len(rest)):  # the side holding the first node, without the others
            for others in combinations(rest, size):
                side = frozenset((first, *others))
                yield frozenset({side, frozenset(self.ids) - side})

    def _isolations(self) -> Iterator[frozenset[Side]]:
        """Every cut of one node from the rest."""
        everyone = frozenset(self.ids)
        for node in self.ids:
            yield frozenset({frozenset({node}), everyone - {node}})

    def plain(self) -> Model:
        """The asynchronous model of the same nodes and observer (what :meth:`expand`'s
        single moves run on)."""
        return Model(dict(zip(self.ids, self.protocols, strict=True)), self.observe,
                     self.observer_ghost)

    # ----------------------------------------------------------- reading
    @staticmethod
    def observed(world: World) -> Any:
        """The observer's own ghost (what the invariants read)."""
        return world.ghost[0]

    @staticmethod
    def cut(world: World) -> Cut:
        """The two sides of the cut, or ``()`` when the network is whole."""
        cut: Cut = world.ghost[1]
        return cut

    def apart(self, world: World, a: str, b: str) -> bool:
        """Whether the cut separates ``a`` from ``b``."""
        cut = world.ghost[1]
        return bool(cut) and not any(a in side and b in side for side in cut)

    @staticmethod
    def describe(move: Move) -> str:
        """A settled move for people: ``isolate n1``, ``cut n1 n2 | n3 n4 n5``,
        ``heal``, or the move as it prints (an election timeout, a command)."""
        if move.kind != "cut":
            return str(move).strip()  # a heal has no node
        small, large = sorted((sorted(side) for side in move.value), key=len)
        if len(small) == 1:
            return f"isolate {small[0]}"
        return f"cut {' '.join(small)} | {' '.join(large)}"

    # ----------------------------------------------------------- the start
    def initial(self) -> World:
        """Every node booted, then the network settled."""
        return self.settle(super().initial())

    # ----------------------------------------------------------- what may happen
    def moves(self, world: World) -> list[Move]:
        """Every timer that is neither prompt nor a round, and the nemesis's cuts and
        heal (while changes are left and the last move was not one of them)."""
        found = [m for m in super().moves(world) if m.kind == "fire"
                 and m.name not in self.prompt and m.name not in self.rounds]
        _, cut, left, just_cut = world.ghost
        if left and not just_cut:
            found.extend(Move("cut", "", value=c) for c in self.cuts if c != cut)
            if cut:
                found.append(Move("heal", ""))
        return found

    def apply(self, world: World, move: Move) -> tuple[World, Effects]:
        """``move``, then the network settled."""
        world, effects = self._unsettled(world, move)
        return self.settle(world), effects

    def _unsettled(self, world: World, move: Move) -> tuple[World, Effects]:
        """``move`` alone: a cut or heal changes only the ghost; anything else is a
        plain model's move."""
        observed, cut, left, _ = world.ghost
        if move.kind in ("cut", "heal"):
            if not left:
                raise ConfigError(f"'{move.kind}': the nemesis has no changes left")
            new = move.value if move.kind == "cut" else WHOLE
            return world._replace(ghost=(observed, new, left - 1, True)), ()
        return super().apply(world._replace(ghost=(observed, cut, left, False)), move)

    def _carry_out(self, world: World, i: int, state: Any, effects: Effects) -> World:
        """As in a plain model, with the observer shown only its own ghost."""
        observed, *rest = world.ghost
        world = super()._carry_out(world._replace(ghost=observed), i, state, effects)
        return world._replace(ghost=(world.ghost, *rest))

    # ----------------------------------------------------------- settling
    def settle(self, world: World, log: list[Move] | None = None) -> World:
        """Quiesce (:meth:`quiesce`), then fire each live node's round timers once, in
        node order, quiescing after each; the single moves taken go to ``log``."""
        world = self.quiesce(world, log)
        for i, node_id in enumerate(self.ids):
            for name in sorted(self.rounds):  # what the earlier rounds left armed
                if name in world.timers[i] and world.states[i] is not None:
                    world = self._single(world, Move("fire", node_id, name=name), log)
                    world = self.quiesce(world, log)
        return world

    def quiesce(self, world: World, log: list[Move] | None = None) -> World:
        """Deliver every message in flight (or drop it, if the cut separates its ends or
        its addressee is down) and fire every prompt timer, until none is left."""
        for _ in range(self.max_settle):
            move = self._next(world)
            if move is None:
                return world
            world = self._single(world, move, log)
        raise ConfigError(f"the network did not settle in {self.max_settle} steps: "
                          "some node answers every message with another")

    def _single(self, world: World, move: Move, log: list[Move] | None) -> World:
        """One move of the plain model, logged."""
        if log is not None:
            log.append(move)
        return Model.apply(self, world, move)[0]

    def _next(self, world: World) -> Move | None:
        """The first message in flight, else the first prompt timer of a live node."""
        if world.net:
            packet = world.net[0]
            dst, src, _ = packet
            lost = world.states[self.index[dst]] is None or self.apart(world, src, dst)
            return Move("drop" if lost else "deliver", dst, packet)
        if self.prompt:
            for node_id, names, state in zip(self.ids, world.timers, world.states,
                                             strict=True):
                if state is not None:
                    for name in names:
                        if name in self.prompt:
                            return Move("fire", node_id, name=name)
        return None

    # ----------------------------------------------------------- replaying
    def expand(self, path: list[Move]) -> list[Move]:
        """The single moves of the asynchronous model (:meth:`plain`) that ``path``
        stands for, from its initial world (a cut or heal becomes nothing: it shows
        in which messages are dropped)."""
        single: list[Move] = []
        world = self.settle(super().initial(), single)
        for move in path:
            if move.kind not in ("cut", "heal"):
                single.append(move)
            world = self.settle(self._unsettled(world, move)[0], single)
        return single
