"""The atomic-commit scenarios, each reproducible from its seed, with its figures.

* :func:`all_yes` — every participant votes Yes: commit.
* :func:`one_no` — one participant votes No: everybody aborts.
* :func:`coordinator_crash` — the coordinator crashes once every
  participant has voted Yes (``when="after-prepare"``) or just after it
  logged commit, before the Commit messages leave (``"after-commit"``):
  the participants are **in doubt**, holding their locks, until it
  restarts ``down_for`` ms later and recovers from its log (presumed abort
  in the first case, Commit re-sent in the second). Run with
  ``protocol="replicated"`` and the other replicas decide without it.
* :func:`participant_crash` — a participant crashes after voting Yes and
  comes back in doubt; it asks and learns the outcome.
* :func:`threepc_coordinator_crash` — 3PC: the coordinator crashes after
  one PreCommit; the participants terminate on their own (no blocking).
* :func:`threepc_partition` — 3PC: ``{c1, p1}`` is cut from the others
  right after ``p1`` got its PreCommit; one side commits, the other aborts.

Every function returns a :class:`CommitRun` with the outcomes, the
violation (if any), how long each participant was in doubt and held its
locks, and the trace digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..sim import ConfigError, InvariantViolation, Simulation
from .cluster import commit_sim
from .invariants import all_decided, monitor_of, outcomes, participants
from .messages import Decision, PreCommit

#: Where ``coordinator_crash`` crashes the coordinator.
CRASH_POINTS = ("after-prepare", "after-commit")
HORIZON = 3_000


@dataclass(frozen=True)
class CommitRun:
    """One scenario run and its figures (times in ms of simulated time)."""

    name: str
    protocol: str
    seed: int
    outcomes: dict[str, str]  # participant -> state at the end
    violation: str | None  # "invariant: message", or None
    in_doubt: dict[str, int]  # participant -> ms in doubt (voted Yes, outcome unknown)
    locks_held: dict[str, int]  # participant -> ms holding its locks
    decided_at: int | None  # when the last participant learned the outcome
    sim: Simulation

    @property
    def digest(self) -> str:
        """The trace digest: the same seed prints the same one."""
        return self.sim.trace.digest()

    @property
    def max_in_doubt(self) -> int:
        """The longest time any participant was in doubt."""
        return max(self.in_doubt.values(), default=0)

    def rows(self) -> list[dict[str, object]]:
        """One row per participant: outcome, ms in doubt, ms holding locks."""
        return [{"participant": p, "outcome": self.outcomes[p], "in doubt (ms)": self.in_doubt[p],
                 "locks held (ms)": self.locks_held[p]} for p in self.outcomes]


def _finish(name: str, protocol: str, seed: int, sim: Simulation,
            script: Callable[[Simulation], None]) -> CommitRun:
    violation = None
    decided_at = None
    try:
        script(sim)
        sim.run(until=lambda s: all_decided(s) or s.now >= HORIZON)
        decided_at = sim.now if all_decided(sim) else None
    except InvariantViolation as err:
        violation = f"{err.name}: {err.message}"
    monitor = monitor_of(sim)
    ids = participants(sim)
    return CommitRun(name, protocol, seed, outcomes(sim), violation,
                     {p: monitor.in_doubt_time(p, sim.now) for p in ids},
                     {p: monitor.locks_held_time(p, sim.now) for p in ids}, decided_at, sim)


def all_yes(seed: int = 0, protocol: str = "2pc", participants_: int = 3) -> CommitRun:
    """Every participant votes Yes: all commit."""
    sim = commit_sim(protocol, participants_, seed=seed)
    return _finish("all Yes", protocol, seed, sim, lambda s: None)


def one_no(seed: int = 0, voter: str = "p2", protocol: str = "2pc") -> CommitRun:
    """``voter`` votes No: all abort (BHG §7.3: one No aborts the transaction)."""
    sim = commit_sim(protocol, 3, seed=seed, no_voters=[voter])
    return _finish(f"{voter} votes No", protocol, seed, sim, lambda s: None)


def run_until(sim: Simulation, predicate: Callable[[Simulation], bool], what: str) -> None:
    """Run until ``predicate`` holds; a SimulationError-style ConfigError if it never does."""
    sim.run(until=lambda s: predicate(s) or s.now >= HORIZON)
    if not predicate(sim):
        raise ConfigError(f"the run never reached {what} by t={HORIZON}")


def every_participant_prepared(sim: Simulation) -> bool:
    """Every participant has voted Yes and is in doubt."""
    return all(getattr(sim.nodes[p], "in_doubt", False) for p in participants(sim))


def coordinator_crash(seed: int = 0, when: str = "after-prepare", down_for: int = 500,
                      protocol: str = "2pc") -> CommitRun:
    """Crash the coordinator ``c1`` at ``when`` (see :data:`CRASH_POINTS`), restart it later."""
    if when not in CRASH_POINTS:
        raise ConfigError(f"unknown crash point {when!r}; choose one of: {', '.join(CRASH_POINTS)}")
    if not isinstance(down_for, int) or down_for < 1:
        raise ConfigError(f"down_for must be an int >= 1 (ms), got {down_for!r}")
    sim = commit_sim(protocol, 3, seed=seed, blocking=False)

    def script(s: Simulation) -> None:
        if when == "after-prepare":
            run_until(s, every_participant_prepared, "every participant prepared")
        else:
            run_until(s, lambda x: any(isinstance(e.msg, Decision) for e in x.pending()),
                      "a decision sent")
            for event in s.pending():  # the Commits had not left the machine yet
                if isinstance(event.msg, Decision):
                    s.drop(event.id)
        s.crash("c1")
        s.at(s.now + down_for, "restart", "c1")
    return _finish(f"coordinator crash {when}", protocol, seed, sim, script)


def participant_crash(seed: int = 0, who: str = "p1", down_for: int = 300,
                      protocol: str = "2pc") -> CommitRun:
    """``who`` crashes right after voting Yes and restarts ``down_for`` ms later, in doubt."""
    sim = commit_sim(protocol, 3, seed=seed)

    def script(s: Simulation) -> None:
        run_until(s, lambda x: getattr(x.nodes[who], "in_doubt", False), f"{who} prepared")
        s.crash(who)
        s.at(s.now + down_for, "restart", who)
    return _finish(f"{who} crashes after voting Yes", protocol, seed, sim, script)


def threepc_coordinator_crash(seed: int = 0) -> CommitRun:
    """3PC: c1 crashes after its PreCommit reached only p1; p1..p3 terminate without it."""
    sim = commit_sim("3pc", 3, seed=seed)

    def script(s: Simulation) -> None:
        run_until(s, lambda x: _precommit_pending(x), "PreCommit sent")
        _deliver_precommit(s, "p1")
        for event in s.pending():  # c1 dies before the other PreCommits leave
            if isinstance(event.msg, PreCommit):
                s.drop(event.id)
        s.crash("c1")
    return _finish("3PC coordinator crash", "3pc", seed, sim, script)


def threepc_partition(seed: int = 0) -> CommitRun:
    """3PC: cut {c1, p1} from {p2, p3} right after p1 got its PreCommit."""
    sim = commit_sim("3pc", 3, seed=seed)

    def script(s: Simulation) -> None:
        run_until(s, lambda x: _precommit_pending(x), "PreCommit sent")
        _deliver_precommit(s, "p1")
        s.partition(["c1", "p1"], ["p2", "p3"])
    return _finish("3PC partition", "3pc", seed, sim, script)


def _precommit_pending(sim: Simulation) -> bool:
    return any(isinstance(e.msg, PreCommit) for e in sim.pending())


def _deliver_precommit(sim: Simulation, dst: str) -> None:
    for event in sim.pending():
        if isinstance(event.msg, PreCommit) and event.node == dst:
            sim.fire(event.id)
            return
    raise ConfigError(f"no PreCommit on its way to {dst}")


#: name -> scenario (for the CLI and the notebook).
SCENARIOS: dict[str, Callable[..., CommitRun]] = {
    "all-yes": all_yes, "one-no": one_no, "coordinator-crash": coordinator_crash,
    "participant-crash": participant_crash, "3pc-coordinator-crash": threepc_coordinator_crash,
    "3pc-partition": threepc_partition,
}
