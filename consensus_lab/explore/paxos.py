"""Single-decree Paxos under the model checker.

The search starts from the very beginning: three acceptors and two
proposers that each want their own value, on a network that reorders (any
message may be delivered next) but loses nothing. The bounds and
reductions, which together make the space small enough to exhaust (about
24,000 states, where the plain search passes a million and a half):

* **One ballot per proposer.** A proposer's ``retry`` timer fires for its
  first Prepare only: a proposer that is refused, or times out, does not
  try a higher ballot. The buggy variants need only these two ballots
  (1.p1 and 1.p2) to choose two values. A learner's poll timer never
  fires either: no message is lost, so it hears every Accepted. Only
  acceptors may crash (``amnesiac-acceptor``: one reboot).
* **Dead messages** (:func:`dead`): a reply about a ballot its proposer has
  left for good (a third Promise once Accepts are out, an Accepted after
  the value is chosen, anything for an abandoned ballot), and an Accepted
  reaching a learner that has already learned, can never change anything:
  it never fires and is left out of the state.
* **Acceptor symmetry**: acceptors run the same code and start alike, so
  states that differ by a renaming of acceptors are explored once
  (:mod:`.symmetry`). The node classes here are the library's own with an
  order-free ``state_key`` (frozensets where the originals sort acceptor
  ids into tuples), so that renaming works on the keys.

Agreement and validity are checked after every event with their ghost
record of every accepted proposal (:class:`~consensus_lab.paxos.PaxosInvariants`);
the goal is :func:`chosen` (a majority accepted one ballot). The registry
runs without learners: they only listen, and every Accepted they could
receive would multiply the states; ``paxos_setup(learners=1)`` adds one
(the goal is then :func:`~consensus_lab.paxos.decided`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import partial
from typing import Any

from ..paxos import (
    ACCEPTING,
    DONE,
    IDLE,
    PREPARING,
    VARIANTS,
    Acceptor,
    Learner,
    PaxosFactory,
    PaxosInvariants,
    Proposer,
    chosen_values,
    config_for,
    paxos_ids,
)
from ..paxos.config import ACCEPTOR, PROPOSER, check_variant, role_of
from ..paxos.lessons import CHECKER_CRASHES, checker_setup, one_ballot_each, proposer_crashed
from ..paxos.messages import Accepted, Nack, Promise
from ..paxos.proposer import ProposerState
from ..sim import Network, Node, PendingEvent, Simulation
from .search import explore

__all__ = ["NETWORK", "VARIANTS", "acceptor_ids", "check_command", "chosen", "dead",
           "model_check", "one_ballot", "paxos_setup"]

#: Any message may be delivered next; the search ignores time, so one tick each.
NETWORK = Network(latency=(1, 1))


class ExploredProposer(Proposer):
    """A :class:`Proposer` with an order-free state key (for symmetry reduction)."""

    def state_key(self) -> tuple[Any, ...]:
        """Phase, rounds, the promises and accepts as sets, the values at stake."""
        s = self._now()
        return ("proposer", s.phase, s.max_round, s.ballot, frozenset(s.promises), s.accepts,
                s.proposed, s.chosen, s.nacks if self.protocol.config.backoff_max else 0)


class ExploredLearner(Learner):
    """A :class:`Learner` whose key forgets the votes once it has learned.

    After learning, ``votes`` only grows and is never read again, so two
    learners that learned the same value behave alike.
    """

    def state_key(self) -> tuple[Any, ...]:
        """The votes as sets until learned; then only what was learned."""
        if self.learned_ballot is not None:
            return ("learner", None, self.learned_ballot, self.learned)
        return ("learner", frozenset(self.votes.items()), None, None)


class ExploredPaxosInvariants(PaxosInvariants):
    """Agreement and validity whose remembered record has an order-free key."""

    def state_key(self) -> Hashable:
        """Every accepted proposal and who accepted it, as a set."""
        return frozenset(self.record.accepted_by.items())


class ExploredFactory(PaxosFactory):
    """Builds the explored node classes for each role (one shared protocol per role)."""

    def __call__(self, node_id: str, peers: tuple[str, ...]) -> Node:
        role = role_of(node_id)
        protocols = self.protocols((node_id, *peers))
        if role == ACCEPTOR:
            return Acceptor(node_id, peers, self.config, protocols.acceptor)
        if role == PROPOSER:
            return ExploredProposer(node_id, peers, self.config, self.values.get(node_id),
                                    protocols.proposer)
        return ExploredLearner(node_id, peers, self.config, protocols.learner)


def paxos_setup(variant: str = "correct", acceptors: int = 3, proposers: int = 2,
                learners: int = 1) -> Simulation:
    """The initial state: a fresh cluster (no prefix), invariants installed."""
    ids = paxos_ids(acceptors, proposers, learners)
    values = {p: f"v-{p}" for p in ids if role_of(p) == PROPOSER}
    factory = ExploredFactory(config_for(variant, backoff=False), values)
    sim = Simulation(factory, ids, network=NETWORK)
    ExploredPaxosInvariants.for_sim(sim).install(sim)
    return sim


def acceptor_ids(sim: Simulation) -> tuple[str, ...]:
    """The acceptors of ``sim`` (the symmetry group)."""
    return tuple(i for i in sim.node_ids if role_of(i) == ACCEPTOR)


def chosen(sim: Simulation) -> bool:
    """The goal: some value is chosen (a majority of acceptors accepted one ballot).

    This is Paxos Made Simple's definition; a learner only finds out, so
    the search runs without learners and asks the acceptors.
    """
    return bool(chosen_values(sim))


def one_ballot(sim: Simulation, event: PendingEvent) -> bool:
    """Timers allowed: a proposer's first ``retry`` (its start), nothing else."""
    if event.kind != "timer":
        return True
    node = sim.nodes[event.node]
    return isinstance(node, Proposer) and event.name == "retry" and node.phase == IDLE


def dead(sim: Simulation, event: PendingEvent) -> bool:
    """True for a message whose delivery can never change anything again."""
    if event.kind != "deliver":
        return False
    node = sim.nodes[event.node]
    if isinstance(node, Learner):
        return node.learned_ballot is not None  # learned for good
    if not isinstance(node, Proposer):
        return False
    return _stale_for(node, event.msg)


def _stale_for(proposer: Proposer | ProposerState, msg: Any) -> bool:
    """A reply the proposer ignores now and always will (ballots only grow,
    and a ballot's phases never come back). Works on a node or its state value."""
    ballot = getattr(msg, "ballot", None)
    if ballot != proposer.ballot:
        return proposer.ballot is not None and ballot is not None and ballot < proposer.ballot
    if isinstance(msg, Promise):
        return proposer.phase != PREPARING
    if isinstance(msg, Accepted):
        return proposer.phase != ACCEPTING
    if isinstance(msg, Nack):
        return proposer.phase not in (PREPARING, ACCEPTING)
    return proposer.phase == DONE


# ------------------------------------------------- notebook 08's search
def model_check(variant: str = "correct", *, acceptors: int = 3, proposers: int = 2,
                crash_budget: int | None = None, **bounds: Any) -> Any:
    """``explore`` single-decree Paxos (``variant``) under the bounds of notebook 08.

    Those bounds are :mod:`consensus_lab.paxos.lessons`' ``checker_setup``,
    ``one_ballot_each`` and ``proposer_crashed``. ``crash_budget`` defaults
    to its ``CHECKER_CRASHES`` (the amnesiac acceptor needs one crash and
    restart); ``bounds`` go to ``explore`` (``time_limit``, ``max_states``,
    ``strategy``…). Returns its
    ``ExploreResult``; the invariants are agreement and validity, installed
    by :func:`~consensus_lab.paxos.paxos_sim`.

    This is the notebook's search, sized by ``acceptors`` and ``proposers``.
    ``consensus-lab explore paxos`` runs the registry's search
    (:func:`paxos_setup` here) instead, on three acceptors and two
    proposers with acceptor symmetry. Both find the same bugs with shortest
    counterexamples under their own rules of what a move is. So the lengths
    differ: here the proposers have already sent their Prepares (no start
    moves), and each answer is delivered at once (a move). There, each
    proposer's start is a move, and answers that can no longer matter are
    dead (never delivered). Two values chosen take 15 moves here and 14
    there.
    """
    crashes = CHECKER_CRASHES[check_variant(variant)] if crash_budget is None else crash_budget
    setup: Callable[[], Simulation] = partial(checker_setup, variant, acceptors, proposers)
    return explore(setup, allow=one_ballot_each, prune=proposer_crashed,
                   crash_budget=crashes, **bounds)


def check_command(variant: str = "correct", acceptors: int = 3) -> str:
    """A shell command that runs :func:`model_check` and prints its summary."""
    code = (f"from consensus_lab.explore.paxos import model_check; "
            f"print(model_check({variant!r}, acceptors={acceptors}).summary())")
    return f'.venv/bin/python -c "{code}"'
