"""Safety of single-decree Paxos, checked after every event; and the liveness goal.

* **Agreement** (共識的一致性): at most one value is chosen.
* **Validity** (合法性): a chosen value is one some proposer proposed.
* **Termination** is not an invariant: :func:`decided` says whether some
  learner has learned a value yet (FLP says no deterministic protocol can
  promise it).

"Chosen" is computed from the acceptors, not from the learners: a value is
chosen once a majority of acceptors have accepted the same ballot with it
(Paxos Made Simple §2.2). Learners may never hear of a chosen value, so an
invariant that read them would miss violations; one that reads the
acceptors catches a value the moment it is chosen.

A ballot counts as chosen when a majority *have accepted it*, at any time
— an acceptor that moved on to a higher ballot still did accept it. So the
checks keep a monotone ghost record (:class:`ChosenRecord`) of every
``(ballot, value)`` each acceptor ever accepted; a crash, a restart or a
later ballot cannot erase a choice. The record lives in a
:class:`PaxosInvariants` object whose bound methods are the installed
checks: agreement is a property of the run, and the record is the part of
the run the nodes themselves forget (the world-value checker keeps the same
record as its ghost, :mod:`consensus_lab.explore.paxos_scene`). The
module-level :func:`agreement` and :func:`validity` use the record of the
``PaxosInvariants`` installed on the simulation (or one kept on the
simulation if none is installed).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ..sim import Simulation
from .acceptor import Acceptor, AcceptorState
from .ballot import Ballot
from .config import ACCEPTOR, majority, role_of
from .learner import Learner
from .proposer import Proposer

_RECORD = "_paxos_invariants"


@dataclass(slots=True)
class ChosenRecord:
    """Every proposal any acceptor has accepted, who accepted it, and what got chosen."""

    acceptors: int
    accepted_by: dict[Ballot, tuple[Any, frozenset[str]]] = field(default_factory=dict)
    chosen: dict[Ballot, Any] = field(default_factory=dict)  # ballot -> value, majority-accepted
    proposed: set[Any] = field(default_factory=set)  # every proposer's own value

    def observe(self, sim: Simulation) -> None:
        """Fold in what the live acceptors hold now and the proposers' own values."""
        for node in sim.nodes.values():
            if isinstance(node, Acceptor) and node.accepted is not None:
                self._accepted(node.node_id, *node.accepted)
            elif isinstance(node, Proposer):
                self.proposed.add(node.value)

    def _accepted(self, acceptor: str, ballot: Ballot, value: Any) -> None:
        first, voters = self.accepted_by.get(ballot, (value, frozenset()))
        if acceptor in voters:
            return
        voters = voters | {acceptor}
        self.accepted_by[ballot] = (first, voters)
        if len(voters) >= majority(self.acceptors):
            self.chosen.setdefault(ballot, first)

    def chosen_values(self) -> list[Any]:
        """The distinct chosen values, in ballot order (agreement: at most one)."""
        values: list[Any] = []
        for ballot in sorted(self.chosen):
            if self.chosen[ballot] not in values:
                values.append(self.chosen[ballot])
        return values


class PaxosInvariants:
    """Agreement and validity with their ghost record; install once per simulation."""

    def __init__(self, acceptors: int) -> None:
        self.record = ChosenRecord(acceptors=acceptors)

    @classmethod
    def for_sim(cls, sim: Simulation) -> PaxosInvariants:
        """A fresh checker sized for the acceptors among ``sim``'s nodes."""
        return cls(sum(1 for i in sim.node_ids if role_of(i) == ACCEPTOR))

    def install(self, sim: Simulation) -> PaxosInvariants:
        """Check agreement and validity after every event of ``sim``; returns self."""
        sim.add_invariant("agreement", self.agreement)
        sim.add_invariant("validity", self.validity)
        return self

    def agreement(self, sim: Simulation) -> str | None:
        """At most one value is chosen over the whole run (PMS §2.1, safety)."""
        self.record.observe(sim)
        values = self.record.chosen_values()
        if len(values) > 1:
            return "two values chosen: " + " and ".join(
                _describe(self.record, v) for v in values[:2])
        return None

    def validity(self, sim: Simulation) -> str | None:
        """Only a value that some proposer proposed can be chosen (PMS §2.1)."""
        self.record.observe(sim)
        for value in self.record.chosen_values():
            if value not in self.record.proposed:
                return f"{value!r} was chosen but no proposer proposed it"
        return None


def checker_of(sim: Simulation) -> PaxosInvariants:
    """The :class:`PaxosInvariants` installed on ``sim``, or one kept on ``sim`` itself."""
    for _name, check in sim.invariants:
        owner = getattr(check, "__self__", None)
        if isinstance(owner, PaxosInvariants):
            return owner
    found = sim.__dict__.get(_RECORD)
    if found is None:
        found = sim.__dict__[_RECORD] = PaxosInvariants.for_sim(sim)
    return found


def chosen_record(sim: Simulation) -> ChosenRecord:
    """The run's ghost record, brought up to date with the present state."""
    record = checker_of(sim).record
    record.observe(sim)
    return record


def _describe(record: ChosenRecord, value: Any) -> str:
    ballots = [b for b, v in sorted(record.chosen.items()) if v == value]
    b = ballots[0]
    return f"{value!r} (ballot {b}, accepted by {', '.join(sorted(record.accepted_by[b][1]))})"


def agreement(sim: Simulation) -> str | None:
    """At most one value is chosen over the whole run (PMS §2.1, safety)."""
    return checker_of(sim).agreement(sim)


def validity(sim: Simulation) -> str | None:
    """Only a value that some proposer proposed can be chosen (PMS §2.1)."""
    return checker_of(sim).validity(sim)


def decided(sim: Simulation) -> bool:
    """Liveness goal: some live learner has learned a value."""
    return any(isinstance(n, Learner) and n.learned_ballot is not None
               for n in sim.nodes.values())


def chosen_values(sim: Simulation) -> list[Any]:
    """The values chosen so far, computed from the acceptors (a list: agreement says <= 1)."""
    return chosen_record(sim).chosen_values()


# ------------------------------------------------ the same checks on state values
#: The ghost record as a value: ``(acceptor id, ballot, value)`` of every proposal
#: any acceptor has ever accepted. It only grows (a crash cannot erase a choice).
Ghost = frozenset[tuple[str, Ballot, Any]]


def ghost_with(ghost: Ghost, acceptor_id: str, state: AcceptorState) -> Ghost:
    """``ghost`` with the proposal ``state`` holds now (a model checker calls this after
    every acceptor step: an acceptor's ``accepted`` changes only when it accepts)."""
    accepted = state.accepted
    if accepted is None:
        return ghost
    item = (acceptor_id, accepted[0], accepted[1])
    return ghost if item in ghost else ghost | {item}


def chosen_in(ghost: Ghost, quorum: int) -> dict[Ballot, Any]:
    """Ballot -> value of every ballot a majority (``quorum`` acceptors) has accepted."""
    voters: dict[Ballot, set[str]] = {}
    values: dict[Ballot, Any] = {}
    for acceptor, ballot, value in ghost:
        voters.setdefault(ballot, set()).add(acceptor)
        values.setdefault(ballot, value)
    return {b: values[b] for b, who in voters.items() if len(who) >= quorum}


def agreement_of(ghost: Ghost, quorum: int) -> str | None:
    """Agreement on a ghost value: None, or what the two chosen values are."""
    chosen = chosen_in(ghost, quorum)
    values = {repr(v): (b, v) for b, v in sorted(chosen.items())}
    if len(values) > 1:
        (b1, v1), (b2, v2) = list(values.values())[:2]
        return f"two values chosen: {v1!r} (ballot {b1}) and {v2!r} (ballot {b2})"
    return None


def validity_of(ghost: Ghost, quorum: int, proposed: Collection[Any]) -> str | None:
    """Validity on a ghost value: None, or the chosen value no proposer proposed."""
    for value in chosen_in(ghost, quorum).values():
        if value not in proposed:
            return f"{value!r} was chosen but no proposer proposed it"
    return None


def install_invariants(sim: Simulation) -> PaxosInvariants:
    """Check agreement and validity after every event of ``sim``; returns the checker."""
    return PaxosInvariants.for_sim(sim).install(sim)
