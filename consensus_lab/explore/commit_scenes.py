"""Two- and three-phase commit under the value-based model checker (:mod:`.space`).

Every search starts from a fresh cluster (a coordinator ``c1`` and
participants ``p1 p2 p3``; three coordinator replicas for the replicated
one) on a network that may deliver any message next. Timers race messages
freely — the asynchronous model — unless a scene says otherwise.
:func:`commit_scene` gives the :class:`~.space.Scene` of each variant;
the invariants, the goal and the filters are in :mod:`.commit_checks`.

2PC
---
``correct`` is exhausted with one reboot of any node (crash and restart in
one move; whatever it had not logged is gone): atomicity holds in every
reachable state (participant symmetry). Each buggy variant
(:data:`consensus_lab.commit.VARIANTS`) is searched in the smallest scene
that shows its bug (``majority-commit``: ``p3`` votes No).
``coordinator-crash`` is the correct protocol checked for **blocking**:
the invariant *not blocked* says that no participant is in doubt while
nothing but a coordinator's recovery could decide it; the search finds the
two-move schedule "p1 votes Yes, c1 crashes" — from there the liveness goal
"every participant decided" cannot be reached until ``c1`` comes back.

Protocol ``2pc-replicated`` runs the same check on 2PC whose decision is
chosen by Paxos among three replicas, from the moment plain 2PC blocks
(two participants; every vote in, ``c1`` proposed commit and crashed; it
may restart): the other replicas decide, atomically, in every schedule.
That start is the world after a scripted *prefix* of moves (the scene's
``prefix``); :func:`~.replay.explore_scene` replays it as the setup of
every counterexample and goal.

Bounds, and what they leave out: a participant's ``ask`` timer fires only
when asking can help (:func:`~.commit_checks.useful_asks`), so
``commit-on-timeout`` is searched without that bound; in the replicated
scene ``c2`` is the one backup proposer, with one ballot
(:func:`~.commit_checks.one_proposal`). :func:`~.commit_checks.dead`
takes out messages their receiver ignores for good.

3PC
---
``correct`` is 3PC in the model it was designed for — crashes only, a
synchronous network, a perfect failure detector — written as a filter on
timers (:func:`~.commit_checks.synchronous`): a timeout fires only when no
message is in flight and the node it waits on really has failed. With one
crash of any node, atomicity holds everywhere and every participant can
still decide. ``partition`` drops that filter: a timeout may fire while the
coordinator is alive and its messages are late, which is what a partition
looks like from inside; the search finds one side committing while the
other aborts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..commit import VARIANTS, Vote, commit_ids, commit_protocols
from ..commit.messages import Prepare
from ..commit.twopc import TX
from ..sim import ConfigError
from ..sim.step import Effects, StepProtocol
from ..sim.world import Model, Move, World
from .commit_checks import (
    all_decided,
    atomicity,
    dead,
    not_blocked,
    one_proposal,
    synchronous,
    useful_asks,
)
from .space import Scene

__all__ = ["PARTICIPANTS", "REPLICATED_SCENES", "REPLICATED_SUMMARIES", "SCENES",
           "THREEPC_SCENES", "THREEPC_SUMMARIES", "TWOPC_SCENES", "TWOPC_SUMMARIES",
           "CommitModel", "commit_scene", "commit_variants", "replicated_prefix",
           "replicated_scene", "threepc_scene", "twopc_scene"]

#: The participants of every scene: interchangeable when they all vote alike.
PARTICIPANTS = ("p1", "p2", "p3")

#: 2PC variant -> the participants that vote No in its scene.
SCENES: dict[str, tuple[str, ...]] = {"majority-commit": ("p3",)}

TWOPC_SUMMARIES: dict[str, str] = {
    **VARIANTS,
    "coordinator-crash": "correct 2PC, checked for blocking: the coordinator may crash",
}
REPLICATED_SUMMARIES: dict[str, str] = {
    "correct": "2PC whose decision is chosen by Paxos among 3 coordinator replicas, "
               "checked for blocking after c1 crashes",
}
THREEPC_SUMMARIES: dict[str, str] = {
    "correct": "3PC with crashes only: synchronous network, perfect failure detector",
    "partition": "3PC where a timeout may fire while the other side is alive (a partition)",
}
_ALL_YES = "c1 and p1 p2 p3, all vote Yes, from the start; any delivery order; "
TWOPC_SCENES: dict[str, str] = {
    "correct": _ALL_YES + "one reboot of any node; participant symmetry",
    "majority-commit": "c1 and p1 p2 p3, p3 votes No, from the start; any delivery order",
    "no-log-coordinator": _ALL_YES + "one reboot of c1",
    "forgetful-participant": _ALL_YES + "one reboot of a participant",
    "commit-on-timeout": _ALL_YES + "timers race messages",
    "coordinator-crash": _ALL_YES + "c1 may crash; invariant: not blocked",
}
REPLICATED_SCENES: dict[str, str] = {
    "correct": "c1 c2 c3 and p1 p2; every vote is in, c1 proposed commit and crashed "
               "(may restart); c2 takes over with one ballot",
}
THREEPC_SCENES: dict[str, str] = {
    "correct": "c1 and p1 p2 p3, all vote Yes; timeouts only once the network is quiet and "
               "the awaited node failed; one crash of any node (may restart)",
    "partition": "c1 and p1 p2, all vote Yes; timeouts race messages (no synchrony)",
}

#: protocol -> (variant -> summary, variant -> scene in one line).
TABLES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "2pc": (TWOPC_SUMMARIES, TWOPC_SCENES),
    "3pc": (THREEPC_SUMMARIES, THREEPC_SCENES),
    "2pc-replicated": (REPLICATED_SUMMARIES, REPLICATED_SCENES),
}

ATOMICITY = {"atomicity": atomicity}
BLOCKING = {"atomicity": atomicity, "not blocked": not_blocked}


class CommitModel(Model):
    """The commit cluster's model; with ``remember_crashes`` the ghost is the
    frozenset of nodes that have crashed so far, what a perfect failure
    detector knows (Chandra & Toueg 1996); :func:`~.commit_checks.synchronous`
    reads it."""

    def __init__(self, protocols: Mapping[str, StepProtocol[Any]],
                 remember_crashes: bool = False) -> None:
        super().__init__(protocols, ghost=frozenset() if remember_crashes else ())
        self.remember_crashes = remember_crashes

    def apply(self, world: World, move: Move) -> tuple[World, Effects]:
        """:meth:`Model.apply`; with ``remember_crashes`` a crash or reboot is remembered
        in the ghost."""
        after, effects = super().apply(world, move)
        if self.remember_crashes and move.kind in ("crash", "reboot"):
            after = after._replace(ghost=after.ghost | {move.node})
        return after, effects


# ------------------------------------------------------------------ the scenes
def twopc_scene(variant: str = "correct") -> Scene:
    """The 2PC scene of ``variant`` (a :data:`TWOPC_SUMMARIES` key)."""
    if variant == "coordinator-crash":
        return Scene(CommitModel(commit_protocols("2pc", 3)), invariants=BLOCKING,
                     allow=useful_asks, dead=dead, goal=all_decided, crashes=1,
                     crash_nodes=("c1",), symmetry=PARTICIPANTS)
    crash_nodes = {"no-log-coordinator": ("c1",), "forgetful-participant": PARTICIPANTS}
    no_voters = SCENES.get(variant, ())
    return Scene(CommitModel(commit_protocols("2pc", 3, variant=variant, no_voters=no_voters)),
                 invariants=ATOMICITY,
                 allow=None if variant == "commit-on-timeout" else useful_asks,
                 dead=dead, goal=all_decided, reboot=True,
                 crashes=0 if variant == "majority-commit" else 1,
                 crash_nodes=crash_nodes.get(variant),
                 symmetry=PARTICIPANTS[:2] if no_voters else PARTICIPANTS)


def threepc_scene(variant: str = "correct") -> Scene:
    """The 3PC scene of ``variant`` (a :data:`THREEPC_SUMMARIES` key)."""
    if variant == "correct":
        model = CommitModel(commit_protocols("3pc", 3), remember_crashes=True)
        return Scene(model, invariants=BLOCKING, allow=synchronous, dead=dead,
                     goal=all_decided, crashes=1, symmetry=PARTICIPANTS)
    return Scene(CommitModel(commit_protocols("3pc", 2)), invariants=BLOCKING, dead=dead,
                 goal=all_decided, symmetry=PARTICIPANTS[:2])


def replicated_prefix(participants: int = 2) -> tuple[Move, ...]:
    """Until every replica holds every Yes, then ``c1`` crashes: the moment plain 2PC blocks.

    ``c1`` sends Prepare; every participant votes Yes to every replica; the
    last Yes to reach ``c1`` makes it propose commit (its Paxos Prepare is
    in flight to ``c2`` and ``c3``); then ``c1`` crashes. The same world as
    running the simulator with every latency one tick.
    """
    ids = commit_ids("replicated", participants)
    replicas = [c for c in ids if c.startswith("c")]
    voters = [p for p in ids if p.startswith("p")]
    moves = [Move("deliver", p, (p, "c1", Prepare(tx=TX))) for p in voters]
    moves += [Move("deliver", c, (c, p, Vote(tx=TX, yes=True))) for p in voters for c in replicas]
    return (*moves, Move("crash", "c1"))


def replicated_scene(variant: str = "correct") -> Scene:
    """The replicated-2PC scene (after :func:`replicated_prefix`)."""
    model = CommitModel(commit_protocols("replicated", 2))
    return Scene(model, invariants=BLOCKING, allow=one_proposal, dead=dead, goal=all_decided,
                 symmetry=PARTICIPANTS[:2], prefix=replicated_prefix(2))


_BUILDERS: dict[str, Callable[[str], Scene]] = {
    "2pc": twopc_scene, "3pc": threepc_scene, "2pc-replicated": replicated_scene}


def commit_variants(protocol: str) -> dict[str, str]:
    """Variant -> summary of ``protocol`` (``2pc``, ``3pc`` or ``2pc-replicated``)."""
    if protocol not in TABLES:
        raise ConfigError(f"unknown commit protocol {protocol!r}; allowed: "
                          f"{', '.join(TABLES)}")
    return TABLES[protocol][0]


def commit_scene(protocol: str, variant: str = "correct") -> Scene:
    """The :class:`~.space.Scene` of ``protocol``'s ``variant``, as the registry runs it."""
    known = commit_variants(protocol)
    if variant not in known:
        raise ConfigError(f"unknown {protocol} variant {variant!r}; allowed: "
                          f"{', '.join(known)}")
    return _BUILDERS[protocol](variant)
