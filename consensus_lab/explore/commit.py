"""Two- and three-phase commit under the old, simulation-cloning checker.

The registry searches these protocols on world values now
(:mod:`.commit_scenes`, which owns the scenes' tables); what stays here —
the setups and filters over a live simulation — serves the 2PC grader and
the tests of the old search, until they move too.

Every search starts from a fresh cluster (a coordinator ``c1`` and
participants ``p1 p2 p3``; three coordinator replicas for the replicated
one) on a network that may deliver any message next. Timers race messages
freely — the asynchronous model — unless a spec says otherwise.

2PC
---
``correct`` is exhausted with one reboot of any node (crash and restart in
one move; whatever it had not logged is gone): atomicity holds in every
reachable state (2,688 states, participant symmetry). Each buggy variant
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

Bounds, and what they leave out: a participant's ``ask`` timer fires only
when asking can help (:func:`useful_asks`: a live coordinator knows the
outcome and no answer is on its way), so ``commit-on-timeout`` is searched
without that bound; in the replicated scene ``c2`` is the one backup
proposer, with one ballot (:func:`one_proposal`). :func:`dead` leaves out
messages their receiver ignores for good (a decision reaching a decided
participant, a Paxos reply to a ballot that is gone).

3PC
---
``correct`` is 3PC in the model it was designed for — crashes only, a
synchronous network, a perfect failure detector — written as a filter on
timers (:func:`synchronous`): a timeout fires only when no message is in
flight (every message sent has arrived) and the node it waits on really
has failed. With one crash of any node, atomicity holds everywhere and
every participant can still decide. ``partition`` drops that filter: a
timeout may fire while the coordinator is alive and its messages are
late, which is what a partition looks like from inside; the search finds
one side committing while the other aborts.
"""

from __future__ import annotations

from typing import cast

from ..commit import CommitMonitor, commit_sim, config_for
from ..commit.invariants import coordinator_outcome, coordinators
from ..commit.messages import (
    CanCommit,
    Decision,
    DecisionRequest,
    Prepare,
    StateRequest,
    Vote,
)
from ..commit.replicated import CoordinatorReplica
from ..commit.threepc import RECOVERING, ThreePCCoordinator, ThreePCParticipant
from ..commit.twopc import Coordinator, Participant
from ..paxos.messages import Accept, Accepted, Nack, Promise
from ..paxos.messages import Prepare as PaxosPrepare
from ..sim import Network, PendingEvent, Simulation
from .commit_scenes import PARTICIPANTS, SCENES

__all__ = ["NETWORK", "PARTICIPANTS", "SCENES", "one_proposal", "synchronous",
           "threepc_setup", "replicated_after_crash", "twopc_setup", "useful_asks"]

#: Any message may be delivered next; the search ignores time.
NETWORK = Network(latency=(1, 1))


def twopc_setup(variant: str = "correct", *, protocol: str = "2pc", participants: int = 3,
                blocking: bool = False) -> Simulation:
    """A fresh 2PC (or replicated 2PC) cluster with atomicity (and not-blocked) installed."""
    sim = commit_sim(protocol, participants, config=config_for(variant), network=NETWORK,
                     no_voters=SCENES.get(variant, ()), invariants=False)
    CommitMonitor().install(sim, blocking=blocking)
    return sim


def replicated_after_crash(participants: int = 3) -> Simulation:
    """Replicated 2PC, scene: every vote is in, ``c1`` has proposed commit and crashed.

    The prefix runs the simulator until every replica holds every Yes (``c1``
    has sent its Paxos Prepare), then crashes ``c1`` — the moment plain 2PC
    blocks.
    """
    sim = twopc_setup("correct", protocol="replicated", participants=participants,
                      blocking=True)
    sim.run(until=lambda s: all(len(cast(CoordinatorReplica, s.nodes[c]).yes_votes) == participants
                                for c in ("c1", "c2", "c3")), max_steps=10_000)
    sim.crash("c1")
    return sim


def threepc_setup(participants: int = 3) -> Simulation:
    """A fresh 3PC cluster with atomicity and not-blocked installed."""
    sim = commit_sim("3pc", participants, network=NETWORK, invariants=False)
    CommitMonitor().install(sim, blocking=True)
    return sim


def useful_asks(sim: Simulation, event: PendingEvent) -> bool:
    """2PC bound: an in-doubt participant's ``ask`` timer fires only when asking can help.

    That is when some live coordinator knows the outcome, and neither a
    Decision for the participant nor its previous question is in flight.
    (Asking a coordinator that is still collecting votes, or a crashed one,
    changes nothing: the question is ignored or lost.)
    """
    if event.kind != "timer" or event.name != "ask":
        return True
    if not any(coordinator_outcome(sim.nodes[c]) is not None for c in coordinators(sim)):
        return False
    return not any(e.kind == "deliver" and (
        (e.node == event.node and isinstance(e.msg, Decision))
        or (e.src == event.node and isinstance(e.msg, DecisionRequest))) for e in sim.pending())


def dead(sim: Simulation, event: PendingEvent) -> bool:
    """A message its live receiver ignores now and for ever: a decision (or a
    Prepare) reaching a participant that has decided, a vote reaching a
    coordinator that committed, a No reaching one that aborted."""
    if event.kind != "deliver":
        return False
    node, msg = sim.nodes[event.node], event.msg
    if node is None and event.node.startswith("c") and isinstance(msg, Promise | Accepted | Nack):
        return True  # a reply to a ballot the crash wiped out (ballots are not persisted)
    if isinstance(node, Participant | ThreePCParticipant):
        return node.phase in ("committed", "aborted") and not isinstance(
            msg, DecisionRequest | StateRequest) and not (
            node.phase == "aborted" and isinstance(msg, Prepare | CanCommit))
    if isinstance(node, Coordinator):
        return isinstance(msg, Vote) and (node.phase == "committed" or (
            node.phase == "aborted" and not msg.yes))
    if isinstance(node, CoordinatorReplica) and node.decision is not None:
        return not isinstance(msg, DecisionRequest | PaxosPrepare | Accept)
    if isinstance(node, CoordinatorReplica) and isinstance(msg, Promise | Accepted | Nack):
        return msg.ballot != node.ballot or (isinstance(msg, Promise)
                                             and node.proposed is not None)
    return False


def one_proposal(sim: Simulation, event: PendingEvent) -> bool:
    """Replicated 2PC bound: only ``c2``'s ``decide`` timer fires, for its first ballot
    (``c1`` has proposed already, ``c3`` is an acceptor only); the participants'
    asks are bounded as in :func:`useful_asks`."""
    if event.kind != "timer" or event.name != "decide":
        return useful_asks(sim, event)
    node = sim.nodes[event.node]
    return (isinstance(node, CoordinatorReplica) and node.max_round == 0
            and event.node == "c2")


def _quiet(sim: Simulation) -> bool:
    return not any(e.kind == "deliver" for e in sim.pending())


def _failed(sim: Simulation, node_id: str) -> bool:
    """Down now, or restarted after a crash (a restarted node does not resume its role)."""
    node = sim.nodes[node_id]
    if node is None:
        return True
    if isinstance(node, ThreePCCoordinator):
        return node.phase == RECOVERING
    return sim.incarnation(node_id) > 1


def synchronous(sim: Simulation, event: PendingEvent) -> bool:
    """3PC's crash-only model: a timer fires only when the network is quiet and the
    node it waits on has failed (a perfect failure detector; Skeen 1981 §2)."""
    if event.kind != "timer":
        return True
    if not _quiet(sim):
        return False
    node = sim.nodes[event.node]
    if isinstance(node, ThreePCParticipant) and event.name == "coordinator" and not node.recovering:
        return _failed(sim, node.coordinator)
    if isinstance(node, ThreePCCoordinator) and node.phase != RECOVERING:
        answered = node.acks if node.acks or node.phase == "precommitting" else node.yes_votes
        return any(_failed(sim, p) for p in node.participants if p not in answered)
    return True
