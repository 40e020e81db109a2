"""The commit explorer's model: settings, the protocol steps, one measured run.

See :mod:`consensus_lab.widgets.commit` for the theory of operation; this
module is the part that needs no browser (and no ipywidgets).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

from ..commit import PROTOCOLS, blocked, commit_ids, commit_sim, monitor_of, outcomes
from ..commit.invariants import all_decided, participants
from ..sim import InvariantViolation, Simulation
from ..sim.trace import TraceRecord

#: The faults one can inject.
FAULTS = ("none", "crash", "partition")
#: The cluster: three participants (p1 p2 p3).
PARTICIPANTS = 3
#: A run stops here if not everyone has decided (ms of simulated time).
HORIZON = 2_000
PROTOCOL_LABELS = {"2pc": "2PC", "3pc": "3PC", "replicated": "2PC over consensus (Paxos)"}


class CommitSettingsError(ValueError):
    """A setting out of range; the message says what is allowed. Nothing changes."""


@dataclass(frozen=True)
class CommitSettings:
    """What to run: protocol, seed, a No voter, and one fault after step ``at_step``."""

    protocol: str = "2pc"
    seed: int = 0
    no_voter: str = ""  # "" = everyone votes Yes
    fault: str = "none"
    target: str = "c1"  # crash this node, or cut {c1, target} from the rest
    at_step: int = 0  # the fault happens after this many steps of the run
    down_for: int = 500  # ms until the restart / heal; 0 = never
    lose_in_flight: bool = False  # a crash also loses the node's messages still in flight

    def check(self) -> None:
        """Raise CommitSettingsError naming the bad value and what is allowed."""
        if self.protocol not in PROTOCOLS:
            raise CommitSettingsError(f"protocol must be one of {', '.join(PROTOCOLS)}, "
                                      f"got {self.protocol!r}")
        _whole(self.seed, "seed", 0)
        ids = self.node_ids
        voters = [i for i in ids if i.startswith("p")]
        if self.no_voter not in ("", *voters):
            raise CommitSettingsError(f"no_voter must be '' (nobody) or one of "
                                      f"{', '.join(voters)}, got {self.no_voter!r}")
        if self.fault not in FAULTS:
            raise CommitSettingsError(f"fault must be one of {', '.join(FAULTS)}, "
                                      f"got {self.fault!r}")
        if self.target not in ids:
            raise CommitSettingsError(f"target must be one of {', '.join(ids)}, "
                                      f"got {self.target!r}")
        _whole(self.down_for, "down_for (ms; 0 = never)", 0)
        _whole(self.at_step, "at_step", 0)
        if not isinstance(self.lose_in_flight, bool):
            raise CommitSettingsError(f"lose_in_flight must be True or False, "
                                      f"got {self.lose_in_flight!r}")
        last = len(protocol_steps(self.protocol, self.seed, self.no_voter))
        if self.at_step > last:
            raise CommitSettingsError(f"at_step must be from 0 to {last} (the run without "
                                      f"a fault has {last} steps), got {self.at_step}")

    @property
    def node_ids(self) -> tuple[str, ...]:
        """The cluster's ids: ``c1`` (``c1 c2 c3`` replicated) and ``p1 p2 p3``."""
        return commit_ids(self.protocol, PARTICIPANTS)

    def partition_groups(self) -> tuple[list[str], list[str]]:
        """``{c1, target}`` and everyone else."""
        side = sorted({"c1", self.target})
        return side, [i for i in self.node_ids if i not in side]

    def label(self) -> str:
        """One line: ``2PC, p2 votes No, crash c1 after step 6 for 500 ms``."""
        parts = [PROTOCOL_LABELS[self.protocol], f"seed {self.seed}"]
        if self.no_voter:
            parts.append(f"{self.no_voter} votes No")
        if self.fault != "none":
            lost = " (its messages in flight lost)" if self.lose_in_flight else ""
            what = (f"crash {self.target}{lost}" if self.fault == "crash"
                    else "cut {" + ", ".join(self.partition_groups()[0]) + "} from the rest")
            span = f"for {self.down_for} ms" if self.down_for else "for good"
            parts.append(f"{what} after step {self.at_step} {span}")
        return ", ".join(parts)


def _whole(value: Any, what: str, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise CommitSettingsError(f"{what} must be an int >= {low}, got {value!r}")


def updated_settings(base: CommitSettings, changes: dict[str, Any]) -> CommitSettings:
    """``base`` with ``changes``, checked as a whole (unknown names are an error)."""
    names = {f.name for f in fields(CommitSettings)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise CommitSettingsError(f"unknown setting(s) {unknown}; settings: {', '.join(names)}")
    settings = replace(base, **changes)
    settings.check()
    return settings


# ------------------------------------------------------------------ the steps
@dataclass(frozen=True)
class ProtocolStep:
    """Step ``number`` of the fault-free run: what happened, and who changed state."""

    number: int
    time: int
    text: str

    def label(self) -> str:
        """``after step 6 · t=9 · c1 got Vote(T1 Yes) from p1 → committed``."""
        return f"after step {self.number} · t={self.time} · {self.text}"


def _describe(records: list[TraceRecord]) -> str:
    event = next((r for r in records if r.kind in ("deliver", "timer", "drop", "nemesis")),
                 records[0])
    if event.kind == "deliver":
        text = f"{event.node} got {event.message} from {event.peer}"
    elif event.kind == "timer":
        text = f"{event.node}'s {event.detail} timer fired"
    elif event.kind == "drop":
        text = f"{event.message} to {event.node} lost ({event.detail})"
    else:
        text = f"{event.node} {event.kind} {event.detail}".strip()
    moves = [f"{r.node} → {r.detail.split(' -> ', 1)[1].split(' on ', 1)[0]}"
             for r in records if r.kind == "note" and " -> " in r.detail]
    return text + ("; " + ", ".join(moves) if moves else "")


@lru_cache(maxsize=32)
def protocol_steps(protocol: str = "2pc", seed: int = 0,
                   no_voter: str = "") -> tuple[ProtocolStep, ...]:
    """Every step of the run without a fault, until every participant decided (or HORIZON)."""
    sim = commit_sim(protocol, PARTICIPANTS, seed=seed,
                     no_voters=[no_voter] if no_voter else ())
    steps = []
    try:
        while not all_decided(sim) and sim.now < HORIZON and sim.step():
            records = [r for r in sim.trace if r.step == sim.steps]
            if records:
                steps.append(ProtocolStep(sim.steps, sim.now, _describe(records)))
    except InvariantViolation:
        pass  # cannot happen without a fault; the steps so far stand
    return tuple(steps)


# ------------------------------------------------------------------ one run
@dataclass(frozen=True)
class CommitExplorerRun:
    """One run and what it cost (times in ms of simulated time)."""

    settings: CommitSettings
    sim: Simulation
    fault_at: int | None  # when the fault happened
    violation: str | None  # "atomicity: ..." or None
    in_doubt: dict[str, int]  # participant -> ms in doubt
    locks_held: dict[str, int]  # participant -> ms holding its locks
    blocked: dict[str, int]  # participant -> ms blocked (nothing live could decide it)
    decided_at: int | None  # when the last participant decided; None: not by the end

    @property
    def outcomes(self) -> dict[str, str]:
        """Participant -> its state at the end (``crashed`` if down)."""
        return outcomes(self.sim)

    @property
    def in_doubt_now(self) -> list[str]:
        """The participants still in doubt (holding locks) when the run ended."""
        return [p for p in participants(self.sim)
                if getattr(self.sim.nodes[p], "in_doubt", False)]

    def rows(self) -> list[dict[str, Any]]:
        """One row per node: status, state, in doubt, locks, and the three times."""
        rows = []
        for node_id in self.sim.node_ids:
            node = self.sim.nodes[node_id]
            row: dict[str, Any] = {
                "node": node_id, "status": "crashed" if node is None else "up",
                "state": "-" if node is None else _state(node),
                "in doubt": bool(getattr(node, "in_doubt", False)),
                "locks": node.lock_names() if node is not None and hasattr(node, "lock_names")
                else "-"}
            measured = node_id in self.in_doubt  # participants only
            row.update({"in doubt (ms)": self.in_doubt[node_id] if measured else "-",
                        "locks held (ms)": self.locks_held[node_id] if measured else "-",
                        "blocked (ms)": self.blocked[node_id] if measured else "-"})
            rows.append(row)
        return rows

    def verdict(self) -> str:
        """One line: atomicity broken, everyone decided, or who is still in doubt."""
        if self.violation:
            return f"✘ atomicity violated at t={self.sim.now}: {self.violation}"
        worst = max(self.blocked.values(), default=0)
        blocked_text = f"; blocked up to {worst} ms" if worst else "; nobody blocked"
        doubt = max(self.in_doubt.values(), default=0)
        if self.decided_at is not None:
            decided = sorted(set(self.outcomes.values()))
            return (f"✔ all {'/'.join(decided)} by t={self.decided_at}; in doubt up to "
                    f"{doubt} ms{blocked_text}")
        stuck = self.in_doubt_now
        if stuck:
            return (f"⏳ {', '.join(stuck)} still in doubt at t={self.sim.now}, holding "
                    f"locks{blocked_text}")
        states = ", ".join(f"{p} {state}" for p, state in self.outcomes.items())
        return f"⏳ not every participant up and decided at t={self.sim.now}: {states}"


def _state(node: Any) -> str:
    """A table node's state; a coordinator replica's ``describe()`` (votes, accepted, decision)."""
    return str(getattr(node, "state", None) or node.describe())


def _apply_fault(sim: Simulation, settings: CommitSettings) -> None:
    if settings.fault == "crash":
        if settings.lose_in_flight:  # its messages had not left the machine yet
            for event in sim.pending():
                if event.kind == "deliver" and event.src == settings.target:
                    sim.drop(event.id)
        sim.crash(settings.target)
        if settings.down_for:
            sim.at(sim.now + settings.down_for, "restart", settings.target)
    elif settings.fault == "partition":
        sim.partition(*settings.partition_groups())
        if settings.down_for:
            sim.at(sim.now + settings.down_for, "heal")


def run_commit(settings: CommitSettings) -> CommitExplorerRun:
    """Run ``settings`` (checked first); measure in-doubt, lock and blocked times."""
    settings.check()
    sim = commit_sim(settings.protocol, PARTICIPANTS, seed=settings.seed,
                     no_voters=[settings.no_voter] if settings.no_voter else ())
    stuck_ms = dict.fromkeys(participants(sim), 0)
    violation, fault_at = None, None
    try:
        for _ in range(settings.at_step):
            if not sim.step():
                break
        if settings.fault != "none":
            fault_at = sim.now
            _apply_fault(sim, settings)
        while not all_decided(sim) and sim.now < HORIZON:
            stuck, before = blocked(sim), sim.now
            if not sim.step():
                break
            for p in stuck:
                stuck_ms[p] += sim.now - before
    except InvariantViolation as err:
        violation = f"{err.name}: {err.message}"
    monitor = monitor_of(sim)
    ids = participants(sim)
    return CommitExplorerRun(
        settings, sim, fault_at, violation,
        {p: monitor.in_doubt_time(p, sim.now) for p in ids},
        {p: monitor.locks_held_time(p, sim.now) for p in ids}, stuck_ms,
        sim.now if violation is None and all_decided(sim) else None)


class CommitModel:
    """The settings and the last run; ``run(**changes)`` checks, then runs."""

    def __init__(self, **settings: Any) -> None:
        self.settings = updated_settings(CommitSettings(), settings)
        self.last: CommitExplorerRun | None = None

    def run(self, **changes: Any) -> CommitExplorerRun:
        """Apply ``changes`` (all or nothing) and run; a bad value raises CommitSettingsError."""
        settings = updated_settings(self.settings, changes)
        self.last = run_commit(settings)
        self.settings = settings
        return self.last

    def steps(self) -> tuple[ProtocolStep, ...]:
        """The steps one can put the fault after, for the current protocol, seed and No voter."""
        s = self.settings
        return protocol_steps(s.protocol, s.seed, s.no_voter)
