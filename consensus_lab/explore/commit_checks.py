"""Atomic commit on world values: the invariants, the goal and the search's filters.

Every function here reads a :class:`~consensus_lab.sim.world.World` (node
states, stable storage, messages in flight) and the
:class:`~consensus_lab.sim.world.Model` that names its nodes — never a
simulation — so the value-based checker (:mod:`.space`) can call it on
millions of worlds. Node ids name the role: ``c…`` coordinators (one, or
three replicas), ``p…`` participants (:func:`consensus_lab.commit.commit_ids`).

* invariants: :func:`atomicity` (over the whole run: a participant that
  crashed after deciding still counts, by the outcome in its log) and
  :func:`not_blocked` (no participant in doubt with nothing left that
  could decide it); the goal :func:`all_decided`;
* filters: :func:`dead` (a message its receiver ignores for good),
  :func:`useful_asks`, :func:`one_proposal` and :func:`synchronous`
  (which timers are in play; see :mod:`.commit_scenes` for why).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..commit import (
    Decision,
    DecisionRequest,
    Vote,
    atomicity_of,
    in_doubt_of,
    logged_outcome,
    outcome_of,
)
from ..commit.messages import CanCommit, Prepare, StateRequest
from ..commit.replicated import ReplicaState
from ..commit.threepc import (
    PRECOMMITTING,
    RECOVERING,
    ThreePCCoordinatorState,
    ThreePCParticipantState,
)
from ..commit.twopc import ABORTED, COMMITTED, CoordinatorState, ParticipantState
from ..paxos.messages import Accept, Accepted, Nack, Promise
from ..paxos.messages import Prepare as PaxosPrepare
from ..sim.world import Model, Move, Packet, World

__all__ = ["all_decided", "atomicity", "dead", "not_blocked", "one_proposal",
           "synchronous", "useful_asks"]


# ------------------------------------------------------------------ reading a world
def participants(model: Model, world: World) -> Iterator[tuple[str, Any, Any]]:
    """``(id, state, stored)`` of every participant (state None while crashed)."""
    for node, state, stored in zip(model.ids, world.states, world.stored, strict=True):
        if node.startswith("p"):
            yield node, state, stored


def coordinators(model: Model, world: World) -> Iterator[tuple[str, Any]]:
    """``(id, state)`` of every coordinator (replica)."""
    for node, state in zip(model.ids, world.states, strict=True):
        if node.startswith("c"):
            yield node, state


def decision_in_flight(world: World, pid: str) -> bool:
    """A Decision message is on its way to ``pid``."""
    return any(dst == pid and isinstance(msg, Decision) for dst, _src, msg in world.net)


# ------------------------------------------------------------------ invariants, goal
def atomicity(model: Model, world: World) -> str | None:
    """All participants that decided decided the same (DDIA ch. 9: all commit or all abort).

    A participant's outcome is the one its live state shows, or the one
    its log records (:func:`~consensus_lab.commit.logged_outcome`): every
    outcome is logged in the step that reaches it, so a crash cannot erase
    it, and the log is the whole run's memory.
    """
    outcomes: dict[str, str | None] = {}
    flipped: list[str] = []
    for pid, state, stored in participants(model, world):
        live, logged = outcome_of(state), logged_outcome(dict(stored))
        if live is not None and logged is not None and live != logged:
            flipped.append(pid)
        outcomes[pid] = live or logged
    split = atomicity_of(outcomes)
    if split:
        return split
    if flipped:
        return f"{', '.join(flipped)} decided both commit and abort"
    return None


def can_still_decide(model: Model, world: World) -> bool:
    """Some live coordinator knows the outcome, a majority of coordinators is up, or
    (3PC) a live participant can run the termination protocol (in doubt, not restarted)."""
    for _pid, state, _stored in participants(model, world):
        if isinstance(state, ThreePCParticipantState) and state.in_doubt \
                and not state.recovering:
            return True
    states = [state for _c, state in coordinators(model, world)]
    if any(outcome_of(state) is not None for state in states):
        return True
    up = sum(1 for state in states if state is not None)
    return up >= len(states) // 2 + 1


def not_blocked(model: Model, world: World) -> str | None:
    """No live participant is in doubt with nothing but a coordinator's recovery to
    decide it: no Decision on its way, and nothing of :func:`can_still_decide`."""
    if can_still_decide(model, world):
        return None
    stuck = [pid for pid, state, _stored in participants(model, world)
             if in_doubt_of(state) and not decision_in_flight(world, pid)]
    if not stuck:
        return None
    down = ", ".join(c for c, state in coordinators(model, world) if state is None) or "none"
    return (f"{', '.join(stuck)} in doubt, holding locks, and nothing can decide: "
            f"coordinators down: {down} (blocked until one recovers)")


def all_decided(model: Model, world: World) -> bool:
    """Liveness goal: every participant is up and has committed or aborted."""
    return all(outcome_of(state) is not None for _p, state, _s in participants(model, world))


# ------------------------------------------------------------------ filters
def dead(model: Model, world: World, packet: Packet) -> bool:
    """A message its receiver ignores now and for ever: a decision (or a Prepare)
    reaching a participant that has decided, a vote reaching a coordinator that
    committed, a No reaching one that aborted, a Paxos reply to a ballot that is gone."""
    dst, _src, msg = packet
    state = world.states[model.index[dst]]
    if state is None:  # a reply to a ballot the crash wiped out (ballots are not persisted)
        return dst.startswith("c") and isinstance(msg, Promise | Accepted | Nack)
    if isinstance(state, ParticipantState | ThreePCParticipantState):
        return state.phase in (COMMITTED, ABORTED) and not isinstance(
            msg, DecisionRequest | StateRequest) and not (
            state.phase == ABORTED and isinstance(msg, Prepare | CanCommit))
    if isinstance(state, CoordinatorState):
        return isinstance(msg, Vote) and (state.phase == COMMITTED or (
            state.phase == ABORTED and not msg.yes))
    if isinstance(state, ReplicaState):
        if state.decision is not None:
            return not isinstance(msg, DecisionRequest | PaxosPrepare | Accept)
        if isinstance(msg, Promise | Accepted | Nack):
            return msg.ballot != state.ballot or (isinstance(msg, Promise)
                                                  and state.proposed is not None)
    return False


def useful_asks(model: Model, world: World, move: Move) -> bool:
    """2PC bound: an in-doubt participant's ``ask`` timer fires only when asking can help.

    That is when some live coordinator knows the outcome, and neither a
    Decision for the participant nor its previous question is in flight.
    (Asking a coordinator that is still collecting votes, or a crashed one,
    changes nothing: the question is ignored or waits.)
    """
    if move.kind != "fire" or move.name != "ask":
        return True
    if not any(outcome_of(state) is not None for _c, state in coordinators(model, world)):
        return False
    me = move.node
    return not any((dst == me and isinstance(msg, Decision))
                   or (src == me and isinstance(msg, DecisionRequest))
                   for dst, src, msg in world.net)


def one_proposal(model: Model, world: World, move: Move) -> bool:
    """Replicated 2PC bound: only ``c2``'s ``decide`` timer fires, for its first ballot
    (``c1`` has proposed already, ``c3`` is an acceptor only); the participants'
    asks are bounded as in :func:`useful_asks`."""
    if move.kind != "fire" or move.name != "decide":
        return useful_asks(model, world, move)
    state = model.node(world, move.node)
    return isinstance(state, ReplicaState) and state.max_round == 0 and move.node == "c2"


def failed(model: Model, world: World, node: str) -> bool:
    """Down now, or crashed before (the ghost: a restarted node does not resume its
    role); a 3PC coordinator has failed while down or ``recovering``."""
    state = model.node(world, node)
    if state is None:
        return True
    if isinstance(state, ThreePCCoordinatorState):
        return state.phase == RECOVERING
    return node in world.ghost


def synchronous(model: Model, world: World, move: Move) -> bool:
    """3PC's crash-only model: a timer fires only when the network is quiet and the
    node it waits on has failed (a perfect failure detector; Skeen 1981 §2).

    Quiet: no message in flight (every message sent has arrived; the ones
    :func:`dead` names have arrived for all that matters and are gone).
    The failure detector is the world's ghost: the set of nodes that have
    crashed so far (:class:`~.commit_scenes.CommitModel` with
    ``remember_crashes``).
    """
    if move.kind != "fire":
        return True
    if world.net:
        return False
    state = model.node(world, move.node)
    if isinstance(state, ThreePCParticipantState) and move.name == "coordinator" \
            and not state.recovering:
        return failed(model, world, state.coordinator)
    if isinstance(state, ThreePCCoordinatorState) and state.phase != RECOVERING:
        answered = state.acks if state.acks or state.phase == PRECOMMITTING \
            else state.yes_votes
        return any(failed(model, world, p) for p in sorted(state.participants)
                   if p not in answered)
    return True
