"""Scripted single-decree Paxos experiments: the duel (FLP), backoff, and broken rules.

* :func:`duel` — two proposers under an adversarial but *fair* scheduler
  (every message is delivered, within the latency bound). Without backoff
  they preempt each other for ever: no value is chosen within any horizon
  and the ballot rounds keep growing. With randomized backoff one of them
  gets through. :func:`backoff_rows` measures P(decided within T).
* :func:`ignored_accepted_value`, :func:`forgotten_promise` and
  :func:`amnesia` — the classic schedules, written with ``sim.pending()``
  / ``sim.fire()``, in which the ``ignores-accepted``, ``forgetful-acceptor``
  and ``amnesiac-acceptor`` variants choose two values and the correct
  protocol chooses one.

The adversary (:func:`adversary_pick`) knows the protocol: it delivers
phase-1 messages and Nacks at once, delivers an ``Accept`` at once when the
acceptor has already promised a higher ballot (so its proposer is preempted
early), and holds every ``Accept`` that could succeed until the network's
latency bound (it never delays a message longer than the network could).
A retry that comes before the held ``Accept`` lands — any fixed
``retry_after`` below the latency does — preempts it again, for ever. That
is the FLP schedule; only randomness (or a timing assumption) escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import InvariantViolation, Network, PendingEvent, Simulation, SimulationError
from .acceptor import Acceptor
from .cluster import highest_round, learned, paxos_sim, proposers_of
from .config import backoff_ticks, check_variant, config_for
from .invariants import chosen_values, decided
from .messages import Accept, Nack, Prepare, Promise

#: Every message takes exactly 10 ticks unless the adversary delivers it sooner.
DUEL_NETWORK = Network(latency=(10, 10))


# ---------------------------------------------------------------- the duel
def adversary_pick(sim: Simulation) -> PendingEvent | None:
    """The message the adversary delivers right now, or None (let time pass)."""
    for event in sim.pending():
        if event.kind != "deliver":
            continue
        msg = event.msg
        if isinstance(msg, Prepare | Promise | Nack):
            return event
        if isinstance(msg, Accept):
            acceptor = sim.nodes.get(event.node)
            if (isinstance(acceptor, Acceptor) and acceptor.promised is not None
                    and msg.ballot < acceptor.promised):
                return event  # doomed: deliver now so its proposer is preempted early
    return None


@dataclass(frozen=True, slots=True)
class DuelResult:
    """What one duel did within its horizon."""

    seed: int
    backoff_max: int  # 0 = no backoff
    horizon: int
    decided_at: int | None  # when a learner learned (None: not within the horizon)
    value: Any
    ballots: int  # Prepare rounds started by both proposers together
    highest_round: int
    rounds_over_time: tuple[tuple[int, int], ...]  # (time, highest round) samples
    digest: str

    @property
    def decided(self) -> bool:
        """Whether a value was learned within the horizon."""
        return self.decided_at is not None

    def __str__(self) -> str:
        how = "no backoff" if not self.backoff_max else f"backoff <= {self.backoff_max}"
        if self.decided:
            return (f"duel seed {self.seed}, {how}: {self.value!r} decided at t={self.decided_at} "
                    f"after {self.ballots} ballots")
        return (f"duel seed {self.seed}, {how}: nothing decided by t={self.horizon}; "
                f"{self.ballots} ballots, highest round {self.highest_round}")


def duel(seed: int = 0, backoff: bool | int = False, horizon: int = 1_000, *,
         doublings: int = 4, trace: bool = True, sample_every: int = 100) -> DuelResult:
    """Two proposers under the adversary until a learner learns or ``horizon`` passes.

    ``backoff``: False (retry exactly ``retry_after`` = 3 ticks after a
    Nack), True (plus a random wait up to 20 ticks) or that maximum in
    ticks; the maximum doubles with each Nack in a row, ``doublings`` times
    at most (0 = a fixed range).
    """
    if not isinstance(horizon, int) or horizon < 1:
        raise SimulationError(f"horizon must be an int >= 1 (ticks), got {horizon!r}")
    sim = duel_sim(seed, backoff, doublings=doublings, trace=trace)
    samples: list[tuple[int, int]] = []
    while not decided(sim):
        event = adversary_pick(sim)
        next_time = sim.peek()
        if event is None and (next_time is None or next_time > horizon):
            break
        while len(samples) * sample_every <= sim.now:
            samples.append((len(samples) * sample_every, highest_round(sim)))
        if event is None:
            sim.step()
        else:
            sim.fire(event.id)
    values = list(learned(sim).values())
    return DuelResult(seed, backoff_ticks(backoff), horizon,
                      sim.now if values else None, values[0] if values else None,
                      sum(p.ballots_tried for p in proposers_of(sim)), highest_round(sim),
                      tuple(samples), sim.trace.digest())


def duel_sim(seed: int = 0, backoff: bool | int = False, *, doublings: int = 4,
             trace: bool = True) -> Simulation:
    """The duel's cluster: 3 acceptors, 2 proposers, 1 learner, fixed latency 10."""
    config = config_for("correct", backoff=backoff, backoff_doublings=doublings)
    return paxos_sim(3, 2, 1, seed=seed, network=DUEL_NETWORK, config=config, trace=trace)


def backoff_rows(seeds: Iterable[int] = range(50),
                       horizons: Sequence[int] = (25, 50, 100, 200, 500),
                       backoffs: Sequence[bool | int] = (False, 4, 8, 20, 80),
                       doublings: Sequence[int] = (0, 4)) -> list[dict[str, Any]]:
    """P(decided within T) under the duel's adversary, per backoff setting and horizon T.

    One duel per (backoff, doublings, seed), run to the largest horizon;
    returns one row (a dict) per (backoff, doublings,
    horizon): ``runs``, ``decided`` (count), ``p_decided``, and the mean
    ballots and decision time of the runs that decided. (Without backoff
    the duel is deterministic: every seed runs the same schedule.)
    :func:`consensus_lab.viz.backoff_experiment` makes the rows a DataFrame.
    """
    seeds, horizons = list(seeds), sorted(horizons)
    if not seeds or not horizons:
        raise SimulationError("backoff_experiment needs at least one seed and one horizon")

    rows = []
    for backoff in backoffs:
        for doubling in doublings if backoff_ticks(backoff) else doublings[:1]:
            runs = [duel(seed, backoff, horizons[-1], doublings=doubling, trace=False)
                    for seed in seeds]
            rows.extend(_rows(runs, backoff, doubling, horizons))
    return rows


def _rows(runs: list[DuelResult], backoff: bool | int, doublings: int,
          horizons: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for horizon in horizons:
        won = [r for r in runs if r.decided_at is not None and r.decided_at <= horizon]
        rows.append({
            "backoff_max": backoff_ticks(backoff), "doublings": doublings, "horizon": horizon,
            "runs": len(runs), "decided": len(won), "p_decided": len(won) / len(runs),
            "mean_decided_at": sum(r.decided_at or 0 for r in won) / len(won) if won else None,
            "mean_ballots": sum(r.ballots for r in won) / len(won) if won else None,
        })
    return rows


# ---------------------------------------------------------------- scripted schedules
def deliver(sim: Simulation, kind: type, src: str | None = None,
            dst: str | None = None) -> PendingEvent:
    """Fire the first pending ``kind`` message (from ``src`` to ``dst`` if given) now."""
    for event in sim.pending():
        if (event.kind == "deliver" and isinstance(event.msg, kind)
                and src in (None, event.src) and dst in (None, event.node)):
            sim.fire(event.id)
            return event
    waiting = ", ".join(str(e) for e in sim.pending()[:12]) or "nothing"
    raise SimulationError(f"no pending {kind.__name__} {src or '*'}->{dst or '*'}; "
                          f"pending: {waiting}")


def fire_timer(sim: Simulation, node: str, name: str = "retry") -> None:
    """Fire ``node``'s pending timer ``name`` now."""
    for event in sim.pending():
        if event.kind == "timer" and event.node == node and event.name == name:
            sim.fire(event.id)
            return
    raise SimulationError(f"{node} has no pending timer {name!r}")


@dataclass(frozen=True, slots=True)
class ScheduleResult:
    """A scripted schedule's outcome: the values chosen and the violation, if any."""

    variant: str
    chosen: tuple[Any, ...]
    violation: str | None
    sim: Simulation


def _run_script(variant: str, script: Any) -> ScheduleResult:
    sim = paxos_sim(3, 2, 1, variant=check_variant(variant), seed=0, network=DUEL_NETWORK)
    violation = None
    try:
        script(sim)
    except InvariantViolation as err:
        violation = f"{err.name}: {err.message}"
    return ScheduleResult(variant, tuple(chosen_values(sim)), violation, sim)


def ignored_accepted_value(variant: str = "ignores-accepted") -> ScheduleResult:
    """The schedule where rule P2c ("adopt the highest accepted value") saves agreement.

    p1 gets ``v-p1`` accepted by a1 and a2 — chosen. p2 prepares a higher
    ballot with a2 and a3; a2's Promise reports ``(1.p1, v-p1)``. The
    correct p2 proposes ``v-p1`` again; one that ignores it gets ``v-p2``
    accepted by a2 and a3 — a second value chosen.
    """
    def script(sim: Simulation) -> None:
        fire_timer(sim, "p1")
        for a in ("a1", "a2", "a3"):
            deliver(sim, Prepare, "p1", a)
        for a in ("a1", "a2"):
            deliver(sim, Promise, a, "p1")
        for a in ("a1", "a2"):
            deliver(sim, Accept, "p1", a)  # v-p1 is chosen
        fire_timer(sim, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Prepare, "p2", a)
            deliver(sim, Promise, a, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Accept, "p2", a)
    return _run_script(variant, script)


def forgotten_promise(variant: str = "forgetful-acceptor") -> ScheduleResult:
    """The schedule where an acceptor's promise saves agreement.

    p1 finishes phase 1 and its Accept reaches only a1. p2 prepares a
    higher ballot with a2 and a3 (neither has accepted anything), and gets
    ``v-p2`` chosen by a2 and a3. Then p1's late Accept reaches a2: a
    correct a2 refuses it (it promised p2's ballot); a forgetful one
    accepts it, and ``v-p1`` is chosen too (accepted by a1 and a2).
    """
    def script(sim: Simulation) -> None:
        fire_timer(sim, "p1")
        for a in ("a1", "a2", "a3"):
            deliver(sim, Prepare, "p1", a)
        for a in ("a1", "a2"):
            deliver(sim, Promise, a, "p1")
        deliver(sim, Accept, "p1", "a1")
        fire_timer(sim, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Prepare, "p2", a)
            deliver(sim, Promise, a, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Accept, "p2", a)  # v-p2 is chosen
        deliver(sim, Accept, "p1", "a2")  # the late Accept
    return _run_script(variant, script)


def amnesia(variant: str = "amnesiac-acceptor") -> ScheduleResult:
    """The schedule where stable storage saves agreement: an acceptor restarts.

    ``v-p1`` is chosen by a1 and a2; a2 crashes and restarts. p2 prepares
    with a2 and a3. A correct a2 recovered ``(1.p1, v-p1)`` from disk and
    reports it, so p2 proposes ``v-p1``; an amnesiac a2 forgot it, and p2
    gets ``v-p2`` chosen by a2 and a3.
    """
    def script(sim: Simulation) -> None:
        fire_timer(sim, "p1")
        for a in ("a1", "a2"):
            deliver(sim, Prepare, "p1", a)
            deliver(sim, Promise, a, "p1")
        for a in ("a1", "a2"):
            deliver(sim, Accept, "p1", a)  # v-p1 is chosen
        sim.crash("a2")
        sim.restart("a2")
        fire_timer(sim, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Prepare, "p2", a)
            deliver(sim, Promise, a, "p2")
        for a in ("a2", "a3"):
            deliver(sim, Accept, "p2", a)
    return _run_script(variant, script)
