"""Grading checks for the ``commit_wait`` exercise (提交等待 Commit wait, Spanner §4.1.2).

Theory of operation: the learner writes two pure functions over a TrueTime
interval (:class:`~consensus_lab.spanner.TTInterval`):
``commit_timestamp(now, last_timestamp)`` and ``commit_wait_over(now, s)``.
The checks

1. try each rule on examples chosen so that each classic slip answers
   differently (``earliest`` for ``latest``, no wait, waiting on ``latest``,
   ``>=`` for ``>``, forgetting that a leader's timestamps rise);
2. compare both functions with the rules on 500 seeded random cases;
3. plug them into every shard leader of the lab's Spanner-like store
   (:class:`~consensus_lab.spanner.SpannerConfig` takes the rules) and run
   the two-write story — leader clocks at +ε and -ε, within TrueTime's
   bound — and random workloads, then check external consistency. A
   failure names the pair of transactions, their times and timestamps, and
   the call that replays it (:func:`replay`).
"""

from __future__ import annotations

import random
from types import ModuleType
from typing import Any

from consensus_lab.grading.base import INVARIANT, PROPERTY, Check, expect, fail
from consensus_lab.grading.paxos_common import load_learner
from consensus_lab.spanner import SpannerConfig, TTInterval, check_external_consistency
from consensus_lab.spanner.experiments import scripted_anomaly, workload_run

EXERCISE = "commit_wait"
RANDOM_CASES = 500
SWEEP_SEEDS = 20
_REPLAY = "consensus_lab.grading.commit_wait.replay(seed={seed})"


def _iv(earliest: int, latest: int) -> TTInterval:
    return TTInterval(earliest, latest)


def _timestamp(module: ModuleType, now: TTInterval, last: int) -> tuple[str, Any]:
    call = f"commit_timestamp(now={now}, last_timestamp={last})"
    answer = module.commit_timestamp(now, last)
    expect(isinstance(answer, int) and not isinstance(answer, bool),
           f"{call} returned {answer!r}; it must return an int (a timestamp in ms)")
    return call, answer


def _wait(module: ModuleType, now: TTInterval, s: int) -> tuple[str, Any]:
    call = f"commit_wait_over(now={now}, s={s})"
    answer = module.commit_wait_over(now, s)
    expect(isinstance(answer, bool), f"{call} returned {answer!r}; it must return True or "
           "False")
    return call, answer


# -- 1. rule examples ------------------------------------------------------------------------


def check_timestamp_latest(module: ModuleType) -> None:
    """s is TT.now().latest when the leader's last timestamp is below it (§4.1.2, Start)."""
    for now, last in ((_iv(90, 110), 0), (_iv(500, 520), 480), (_iv(7, 7), 3)):
        call, s = _timestamp(module, now, last)
        expect(s == now.latest, f"{call} returned {s}, expected {now.latest}: the commit "
               f"timestamp must be no less than TT.now().latest ({now.latest}) — any clock "
               f"may already read up to {now.latest}, and a transaction that starts after "
               f"this one commits could read a time above a smaller s"
               + (" (did you take earliest?)" if s == now.earliest else ""))


def check_timestamp_rises(module: ModuleType) -> None:
    """A leader's timestamps rise strictly (§4.1.1), even when its clock stands still."""
    for now, last in ((_iv(90, 110), 110), (_iv(90, 110), 150)):
        call, s = _timestamp(module, now, last)
        expect(s == last + 1, f"{call} returned {s}, expected {last + 1}: this leader "
               f"already gave out timestamp {last}; the next one must be larger, so it is "
               f"max(latest, last_timestamp + 1)")


def check_wait_until_after(module: ModuleType) -> None:
    """Commit wait ends exactly when TT.after(s): earliest > s (§4.1.2, Commit Wait)."""
    cases = (
        (_iv(95, 115), 110, False, "earliest 95 is below s=110: true time may still be "
         "before s, even though latest 115 is past it"),
        (_iv(110, 130), 110, False, "earliest equals s=110: true time may be exactly s, "
         "not definitely past it — TT.after(s) needs earliest > s"),
        (_iv(111, 131), 110, True, "earliest 111 > s=110: s has definitely passed"),
        (_iv(300, 320), 110, True, "s is long gone"),
    )
    for now, s, want, why in cases:
        call, got = _wait(module, now, s)
        expect(got == want, f"{call} returned {got}, expected {want}: {why}")


# -- 2. seeded random cases ------------------------------------------------------------------


def ref_timestamp(now: TTInterval, last_timestamp: int) -> int:
    """The rule: no less than latest, above the last timestamp."""
    return max(now.latest, last_timestamp + 1)


def ref_wait_over(now: TTInterval, s: int) -> bool:
    """The rule: TT.after(s)."""
    return now.earliest > s


def check_random_cases(module: ModuleType) -> None:
    """500 seeded random intervals: the same answers as the rules."""
    for seed in range(RANDOM_CASES):
        rng = random.Random(seed)
        epsilon = rng.randint(0, 20)
        local = rng.randint(0, 200)
        now = _iv(local - epsilon, local + epsilon)
        if seed % 2:
            last = rng.randint(0, 230)
            call, got = _timestamp(module, now, last)
            want: Any = ref_timestamp(now, last)
        else:
            s = rng.randint(local - 3 * epsilon - 2, local + epsilon + 2)
            call, got = _wait(module, now, s)
            want = ref_wait_over(now, s)
        expect(got == want, f"{call} returned {got!r}, expected {want!r} (case seed {seed})",
               kind=PROPERTY, seed=seed)


# -- 3. the store with your rules ------------------------------------------------------------


def _config(module: ModuleType, epsilon: int) -> SpannerConfig:
    return SpannerConfig(epsilon=epsilon, timestamp_rule=module.commit_timestamp,
                         wait_rule=module.commit_wait_over)


def replay(seed: int, answers: str = "exercises") -> Any:
    """Rerun sweep seed ``seed`` on the store with your rules; returns the verdict."""
    module = load_learner(EXERCISE, answers)
    sim = workload_run(_config(module, 10), seed=seed, txns=30, clients=3)
    return check_external_consistency(sim.history)


def check_two_writes(module: ModuleType) -> None:
    """The two-write story: leader clocks at +ε and -ε (within the bound), still consistent."""
    for epsilon in (5, 10, 50):
        config = _config(module, epsilon)
        run = scripted_anomaly(epsilon, commit_wait=True, seed=0, config=config)
        if not run.result.ok:
            fail(f"with ε={epsilon} ms, shard 0's leader clock {epsilon} ms fast and shard 1's "
                 f"{epsilon} ms slow (both within TrueTime's bound), a client wrote on shard 0, "
                 f"got its answer, then wrote on shard 1: {run.result.explanation}",
                 kind=INVARIANT, trace=_commits_tail(run.sim))


def _commits_tail(sim: Any, lines: int = 12) -> str:
    """The trace's last lines before the snapshot reads: the two commits."""
    records = [str(r) for r in sim.trace if "reader" not in (r.node, r.peer)]
    return "\n".join(records[-lines:])


def check_sweep(module: ModuleType) -> None:
    """20 random workloads (3 clients, 30 transactions, ε=10): externally consistent."""
    for seed in range(SWEEP_SEEDS):
        sim = workload_run(_config(module, 10), seed=seed, txns=30, clients=3)
        result = check_external_consistency(sim.history)
        if not result.ok:
            fail(f"seed {seed}: {result.explanation}", kind=INVARIANT, seed=seed,
                 trace=sim.trace.tail(12), replay=_REPLAY.format(seed=seed))


# Hints point at the rule and the usual slip, not at the code.
_LATEST = ("Spanner §4.1.2, Start: the timestamp is TT.now().latest (and larger than the "
           "leader's last one): no clock anywhere can be past it yet")
_RISE = "timestamps a leader gives out rise strictly: max(latest, last_timestamp + 1)"
_AFTER = ("Spanner §4.1.2, Commit Wait: wait until TT.after(s), i.e. until earliest > s — "
          "strictly, and on earliest, the pessimistic end of the interval")
_ALL = "both rules together: s = max(latest, last + 1), and wait until earliest > s"

CHECKS: tuple[Check, ...] = (
    Check(name="timestamp_latest", prop="s = TT.now().latest", hint=_LATEST,
          fn=check_timestamp_latest),
    Check(name="timestamp_rises", prop="a leader's timestamps rise strictly", hint=_RISE,
          fn=check_timestamp_rises),
    Check(name="wait_until_after", prop="commit wait ends when earliest > s", hint=_AFTER,
          fn=check_wait_until_after),
    Check(name="random_cases", prop="500 random cases: the same answers as the rules",
          hint=_ALL, fn=check_random_cases),
    Check(name="two_writes", prop="the two-write story with clocks at ±ε: externally "
          "consistent", hint=_ALL, fn=check_two_writes),
    Check(name="sweep", prop="20 random workloads: externally consistent", hint=_ALL,
          fn=check_sweep),
)
