"""Single-decree Paxos as a world-value search: the library's own step protocols.

The scene starts from the very beginning: three acceptors and two
proposers that each want their own value, on a network that reorders
(any message may be delivered next) but loses nothing. Bounds and
reductions, which together make the space small enough to exhaust:

* **One ballot per proposer.** A proposer's ``retry`` timer fires for its
  first Prepare only (:func:`one_ballot`): a proposer that is refused does
  not try a higher ballot. The buggy variants need only these two ballots
  (1.p1 and 1.p2) to choose two values. Only acceptors may crash, and a
  crash is a reboot (``amnesiac-acceptor``: one).
* **Dead messages** (:func:`dead`): a reply about a ballot its proposer has
  left for good (a third Promise once Accepts are out, an Accepted after
  the value is chosen, anything once it gave up) can never change
  anything: it leaves the world at once.
* **Acceptor symmetry**: acceptors run the same code and start alike, so
  worlds that differ by a renaming of acceptors are explored once.
* **Sleep sets** (:mod:`.space`): deliveries to two different nodes are
  taken in one order only.

Agreement and validity are checked on every world, from the observer's
ghost: every ``(acceptor, ballot, value)`` ever accepted (an acceptor may
forget — the amnesiac variant — but the ghost does not). The goal is a
value chosen: a majority accepted one ballot (Paxos Made Simple, §2.2).
"""

from __future__ import annotations

from typing import Any

from ..paxos import VARIANTS, config_for, paxos_ids
from ..paxos.acceptor import AcceptorProtocol, AcceptorState
from ..paxos.config import ACCEPTOR, check_variant, ids_of, majority
from ..paxos.messages import Accepted, Nack, Promise
from ..paxos.proposer import ACCEPTING, DONE, IDLE, PREPARING, ProposerProtocol, ProposerState
from ..sim.step import Effects, StepProtocol
from ..sim.world import Model, Move, Packet, World
from .result import ExploreResult
from .space import Scene

__all__ = ["VARIANTS", "agreement", "check_command", "chosen", "dead", "model_check", "one_ballot",
           "paxos_scene", "validity"]

Ghost = frozenset[tuple[str, Any, Any]]  # (acceptor, ballot, value) ever accepted


def record_accepted(ghost: Ghost, node: str, state: Any, effects: Effects) -> Ghost:
    """The observer: remember each proposal an acceptor accepts."""
    if type(state) is AcceptorState and state.accepted is not None:
        ballot, value = state.accepted
        if (node, ballot, value) not in ghost:
            return ghost | {(node, ballot, value)}
    return ghost


def chosen_values(model: Model, world: World) -> list[Any]:
    """The values some majority of acceptors accepted in one ballot, by ballot."""
    ghost = world.ghost
    need = _NEED.get(model.ids)
    if need is None:
        need = _NEED[model.ids] = majority(len(ids_of(ACCEPTOR, model.ids)))
    found = _CHOSEN.get((ghost, need))
    if found is None:
        votes: dict[tuple[Any, Any], set[str]] = {}
        for acceptor, ballot, value in ghost:
            votes.setdefault((ballot, value), set()).add(acceptor)
        found = _CHOSEN[(ghost, need)] = [value for (_ballot, value), who in
                                  sorted(votes.items(), key=_by_ballot) if len(who) >= need]
    return found


_CHOSEN: dict[tuple[Ghost, int], list[Any]] = {}  # (ghost, majority) -> chosen values
_NEED: dict[tuple[str, ...], int] = {}  # node ids -> a majority of their acceptors


def _by_ballot(item: tuple[tuple[Any, Any], set[str]]) -> Any:
    return item[0][0]


def agreement(model: Model, world: World) -> str | None:
    """Paxos Made Simple §2.1: only a single value is chosen."""
    values = set(chosen_values(model, world))
    return f"two values chosen: {sorted(map(str, values))}" if len(values) > 1 else None


def validity(model: Model, world: World) -> str | None:
    """Paxos Made Simple §2.1: only a value that has been proposed may be chosen."""
    proposed = {s.value for s in world.states if type(s) is ProposerState}
    bad = [v for v in chosen_values(model, world) if v not in proposed]
    return f"chosen but never proposed: {bad[0]!r}" if bad else None


def chosen(model: Model, world: World) -> bool:
    """The goal: some value is chosen."""
    return bool(chosen_values(model, world))


def one_ballot(model: Model, world: World, move: Move) -> bool:
    """Timers allowed: a proposer's first ``retry`` (its start), nothing else."""
    if move.kind != "fire":
        return True
    state = model.node(world, move.node)
    return type(state) is ProposerState and move.name == "retry" and state.phase == IDLE


def dead(model: Model, world: World, packet: Packet) -> bool:
    """A reply its proposer ignores now and always will (one ballot each: a phase
    once left never comes back)."""
    dst, _src, msg = packet
    state = model.node(world, dst)
    if type(state) is not ProposerState:
        return False
    if state.phase == DONE or msg.ballot != state.ballot:
        return state.ballot is not None
    if isinstance(msg, Promise):
        return state.phase != PREPARING
    if isinstance(msg, Accepted):
        return state.phase != ACCEPTING
    if isinstance(msg, Nack):
        return state.phase not in (PREPARING, ACCEPTING)
    return False


def paxos_model(variant: str = "correct", acceptors: int = 3, proposers: int = 2) -> Model:
    """The library's acceptor and proposer protocols for ``variant``, no learners."""
    config = config_for(check_variant(variant), backoff=False)
    ids = paxos_ids(acceptors, proposers, learners=0)
    acceptor_ids = ids_of(ACCEPTOR, ids)
    acceptor = AcceptorProtocol(config)
    proposer = ProposerProtocol(config, acceptors=acceptor_ids)
    protocols: dict[str, StepProtocol[Any]] = {
        i: acceptor if i in acceptor_ids else proposer for i in ids}
    return Model(protocols, observe=record_accepted, ghost=frozenset())


def paxos_scene(variant: str = "correct", acceptors: int = 3, proposers: int = 2,
                crashes: int | None = None) -> Scene:
    """The search of ``consensus-lab explore paxos`` (see the module docstring)."""
    model = paxos_model(variant, acceptors, proposers)
    acceptor_ids = ids_of(ACCEPTOR, model.ids)
    reboots = (1 if variant == "amnesiac-acceptor" else 0) if crashes is None else crashes
    return Scene(model, invariants={"agreement": agreement, "validity": validity},
                 allow=one_ballot, allow_is_local=True, dead=dead, goal=chosen,
                 crashes=reboots, reboot=True, crash_nodes=acceptor_ids,
                 symmetry=acceptor_ids)



# ------------------------------------------------- notebook 08's search
def model_check(variant: str = "correct", *, acceptors: int = 3, proposers: int = 2,
                crash_budget: int | None = None, **bounds: Any) -> ExploreResult:
    """Search :func:`paxos_scene` for ``variant`` on ``acceptors`` and ``proposers``.

    ``crash_budget`` is how many acceptor reboots the search may make
    (default: one for the amnesiac acceptor, which needs it, else none);
    ``bounds`` go to :func:`~.replay.explore_scene` (``time_limit``,
    ``max_states``, ``max_depth``). The invariants are agreement and
    validity; the result's ``violation`` is one of the shortest
    counterexamples, which replays and plays.
    """
    from .replay import explore_scene

    return explore_scene(paxos_scene(variant, acceptors, proposers, crash_budget), **bounds)


def check_command(variant: str = "correct", acceptors: int = 3) -> str:
    """A shell command that runs :func:`model_check` and prints its summary."""
    code = (f"from consensus_lab.explore.paxos_scene import model_check; "
            f"print(model_check({variant!r}, acceptors={acceptors}).summary())")
    return f'.venv/bin/python -c "{code}"'
