"""Atomicity and blocking, checked after every event; and what blocking costs.

* **Atomicity** (原子性): no participant commits while another aborts —
  over the whole run, so a participant that crashed after deciding still
  counts (DDIA ch. 9: "all nodes commit or all abort").
* **Not blocked**: no participant is in doubt with nothing left that could
  decide it — no decision on its way, no live coordinator that knows the
  outcome, and no live majority of coordinators that could still choose it.
  Plain 2PC has one coordinator, so its crash after the votes blocks every
  in-doubt participant until it recovers; the replicated coordinator
  (:mod:`.replicated`) keeps a majority of three. Stated the way Gray and
  Lamport do: *no participant is blocked while a majority of the
  coordinators is up* (for 2PC, a majority of one).

:class:`CommitMonitor` keeps a ghost record of every outcome a participant
ever reached (a crash cannot erase one) and, with the time, how long each
participant was in doubt and held its locks: the figures the scenarios
report.

The same checks on bare state values, for a checker that holds no node
objects: :func:`outcome_of` (a role's state value), :func:`logged_outcome`
(a participant's stable storage: an outcome it logged survives its crash),
:func:`in_doubt_of` and :func:`atomicity_of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from ..sim import Simulation
from .messages import ABORT, COMMIT, Decision

_OUTCOMES = {"committed": COMMIT, "aborted": ABORT}


class ParticipantView(Protocol):
    """What these checks read of a participant (2PC's, 3PC's, or a learner's).

    ``phase`` is the table state of its state value (``node.state.phase``),
    ``locks`` the locks it holds; ``in_doubt`` (read with ``getattr``) says
    it voted Yes and has no outcome yet.
    """

    @property
    def phase(self) -> str: ...

    @property
    def locks(self) -> Any: ...


# ------------------------------------------------------------------ on state values
def outcome_of(state: Any) -> str | None:
    """COMMIT / ABORT that a role's state value has reached, or None (undecided, crashed).

    Table roles (2PC, 3PC) by their ``phase``; a coordinator replica by its
    learned ``decision``.
    """
    if state is None:
        return None
    phase = getattr(state, "phase", None)
    if phase is not None:
        return _OUTCOMES.get(phase)
    decision: str | None = getattr(state, "decision", None)
    return decision


def logged_outcome(stored: Mapping[str, Any]) -> str | None:
    """COMMIT / ABORT that a participant's stable storage records (its ``log``), or None."""
    log = stored.get("log")
    return log if log in (COMMIT, ABORT) else None


def in_doubt_of(state: Any) -> bool:
    """A participant state that voted Yes and has no outcome yet (2PC ``prepared``,
    3PC ``uncertain`` / ``precommitted``)."""
    return state is not None and bool(getattr(state, "in_doubt", False))


def atomicity_of(outcomes: Mapping[str, str | None]) -> str | None:
    """The atomicity check on participant -> outcome (None: undecided): the message if
    one committed while another aborted, else None."""
    committed = sorted(p for p, o in outcomes.items() if o == COMMIT)
    aborted = sorted(p for p, o in outcomes.items() if o == ABORT)
    if committed and aborted:
        return (f"{', '.join(committed)} committed but {', '.join(aborted)} aborted "
                "(atomicity: all commit or all abort)")
    return None


# ------------------------------------------------------------------ on a simulation
def participant(sim: Simulation, pid: str) -> ParticipantView | None:
    """Participant ``pid``, or None while it is crashed."""
    return cast("ParticipantView | None", sim.nodes[pid])


def participants(sim: Simulation) -> tuple[str, ...]:
    """The participant ids (``p…``)."""
    return tuple(i for i in sim.node_ids if i.startswith("p"))


def coordinators(sim: Simulation) -> tuple[str, ...]:
    """The coordinator ids (``c…``): one for 2PC and 3PC, three when replicated."""
    return tuple(i for i in sim.node_ids if i.startswith("c"))


def coordinator_outcome(node: Any) -> str | None:
    """What a live coordinator (of any kind) has decided, or None."""
    if node is None:
        return None
    if hasattr(node, "outcome"):
        outcome: str | None = node.outcome
        return outcome
    return _OUTCOMES.get(getattr(node, "phase", ""))


@dataclass(slots=True)
class Interval:
    """When a participant entered a condition and when it left it (None: not yet)."""

    since: int
    until: int | None = None

    def length(self, now: int) -> int:
        """Ticks spent in it, up to ``now`` if it has not ended."""
        return (self.until if self.until is not None else now) - self.since


@dataclass(slots=True)
class CommitMonitor:
    """Ghost record of outcomes, in-doubt and lock intervals; install once per simulation."""

    outcomes: dict[str, str] = field(default_factory=dict)  # participant -> first outcome
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # later, different ones
    in_doubt: dict[str, Interval] = field(default_factory=dict)
    locked: dict[str, Interval] = field(default_factory=dict)

    def install(self, sim: Simulation, *, blocking: bool = False) -> CommitMonitor:
        """Check atomicity (and, with ``blocking``, not-blocked) after every event."""
        self.observe(sim)  # the nodes started (and took their locks) at t=0
        sim.add_invariant("atomicity", self.atomicity)
        if blocking:
            sim.add_invariant("not blocked", self.not_blocked)
        return self

    def observe(self, sim: Simulation) -> None:
        """Fold in the live participants' states at ``sim.now``."""
        for pid in participants(sim):
            node = participant(sim, pid)
            if node is None:
                continue
            outcome = _OUTCOMES.get(node.phase)
            if getattr(node, "in_doubt", False) and pid not in self.in_doubt:
                self.in_doubt[pid] = Interval(sim.now)
            if node.locks and pid not in self.locked:
                self.locked[pid] = Interval(sim.now)
            if outcome is None:
                continue
            first = self.outcomes.setdefault(pid, outcome)
            if first != outcome and (pid, outcome) not in self.conflicts:
                self.conflicts.append((pid, outcome))
            for intervals in (self.in_doubt, self.locked):
                if pid in intervals and intervals[pid].until is None:
                    intervals[pid].until = sim.now

    def atomicity(self, sim: Simulation) -> str | None:
        """All participants that decided decided the same (over the whole run)."""
        self.observe(sim)
        flipped = [p for p, _ in self.conflicts]
        split = atomicity_of(self.outcomes)
        if split:
            return split
        if flipped:
            return f"{', '.join(flipped)} decided both commit and abort"
        return None

    def not_blocked(self, sim: Simulation) -> str | None:
        """No in-doubt participant is left with nothing that could decide it."""
        stuck = blocked(sim)
        if not stuck:
            return None
        down = ", ".join(c for c in coordinators(sim) if c in sim.crashed) or "none"
        return (f"{', '.join(stuck)} in doubt, holding locks, and nothing can decide: "
                f"coordinators down: {down} (blocked until one recovers)")

    def in_doubt_time(self, pid: str, now: int) -> int:
        """Ticks ``pid`` spent in doubt (0 if never)."""
        return self.in_doubt[pid].length(now) if pid in self.in_doubt else 0

    def locks_held_time(self, pid: str, now: int) -> int:
        """Ticks ``pid`` held its locks, from taking them to the outcome (0 if never)."""
        return self.locked[pid].length(now) if pid in self.locked else 0


def monitor_of(sim: Simulation) -> CommitMonitor:
    """The :class:`CommitMonitor` installed on ``sim`` (one is kept on ``sim`` if none is)."""
    for _name, check in sim.invariants:
        owner = getattr(check, "__self__", None)
        if isinstance(owner, CommitMonitor):
            return owner
    found = sim.__dict__.get("_commit_monitor")
    if found is None:
        found = sim.__dict__["_commit_monitor"] = CommitMonitor()
    found.observe(sim)
    return found


def atomicity(sim: Simulation) -> str | None:
    """No participant committed while another aborted (over the run so far)."""
    return monitor_of(sim).atomicity(sim)


def decision_in_flight(sim: Simulation, pid: str) -> bool:
    """A Decision message is on its way to ``pid``."""
    return any(e.kind == "deliver" and e.node == pid and isinstance(e.msg, Decision)
               for e in sim.pending())


def can_still_decide(sim: Simulation) -> bool:
    """Some live coordinator knows the outcome, a majority of coordinators is up, or
    (3PC) a live participant can run the termination protocol."""
    if any(getattr(sim.nodes[p], "can_terminate", False) for p in participants(sim)):
        return True
    ids = coordinators(sim)
    if any(coordinator_outcome(sim.nodes[c]) is not None for c in ids):
        return True
    up = sum(1 for c in ids if sim.nodes[c] is not None)
    return up >= len(ids) // 2 + 1


def blocked(sim: Simulation) -> list[str]:
    """Live participants in doubt that nothing but a coordinator's recovery can decide."""
    if can_still_decide(sim):
        return []
    return [p for p in participants(sim)
            if sim.nodes[p] is not None and getattr(sim.nodes[p], "in_doubt", False)
            and not decision_in_flight(sim, p)]


def not_blocked(sim: Simulation) -> str | None:
    """Invariant form of :func:`blocked` (None when no participant is blocked)."""
    return monitor_of(sim).not_blocked(sim)


def all_decided(sim: Simulation) -> bool:
    """Liveness goal: every participant is up and has committed or aborted."""
    return all((node := participant(sim, p)) is not None and node.phase in _OUTCOMES
               for p in participants(sim))


def outcomes(sim: Simulation) -> dict[str, str]:
    """Participant -> its state now (``crashed`` if down)."""
    return {p: "crashed" if (node := participant(sim, p)) is None else node.phase
            for p in participants(sim)}
