"""External consistency: do commit timestamps agree with real time? (Spanner §4.1.2)

Spanner's guarantee: "if the start of a transaction T2 occurs after the
commit of a transaction T1, then the commit timestamp of T2 must be
greater than the commit timestamp of T1." Here "commit" is the moment the
client got its answer and "start" the moment it sent the request — both
in true time, which the simulator's history records.

Theory of operation: sort the committed transactions by the time they
ended; walk them by start time, keeping the largest timestamp among those
that ended strictly before the current one started. If that is not below
the current timestamp, the pair is a violation. ``O(n log n)``; every
violating T2 is reported with the T1 that explains it best (the largest
timestamp finished before T2 began), and the first one with a sentence a
learner can check by hand: which pair, which times, and what a snapshot
read at T2's timestamp shows.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from ..sim import History


@dataclass(frozen=True, slots=True, kw_only=True)
class CommittedTxn:
    """A transaction that committed: when its client sent it and heard back, and its s."""

    name: str  # e.g. "T3" (the client request id)
    client: str
    start: int  # true time the client sent the request
    end: int  # true time the client got the answer
    ts: int  # the commit timestamp s
    writes: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        for field_name in ("start", "end", "ts"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{self.name}.{field_name} must be an int (ms), got {value!r}")
        if self.end < self.start:
            raise ValueError(f"{self.name} ends at t={self.end} before it starts at "
                             f"t={self.start}; end must be >= start")

    def __str__(self) -> str:
        writes = " ".join(f"{k}={v}" for k, v in self.writes)
        return f"{self.name}({self.client} {writes} [t={self.start}..{self.end}] s={self.ts})"


@dataclass(frozen=True, slots=True)
class Violation:
    """T1 finished before T2 started in real time, yet ``ts(T1) >= ts(T2)``."""

    first: CommittedTxn
    second: CommittedTxn

    def explain(self) -> str:
        """One paragraph a learner can check against the timeline."""
        t1, t2 = self.first, self.second
        relation = "the same timestamp as" if t1.ts == t2.ts else "a smaller timestamp than"
        text = (f"{t1.name} ({t1.client}) got its answer at t={t1.end} with s={t1.ts}; "
                f"{t2.name} ({t2.client}) started later, at t={t2.start}, yet got s={t2.ts}, "
                f"{relation} {t1.name}'s. External consistency needs s({t1.name}) < "
                f"s({t2.name}) (Spanner §4.1.2).")
        if t1.ts > t2.ts:
            text += (f" A snapshot read at any timestamp in [{t2.ts}, {t1.ts - 1}] sees "
                     f"{t2.name}'s writes but not {t1.name}'s, though {t1.name} finished "
                     "first.")
        return text

    def __str__(self) -> str:
        return self.explain()


@dataclass(frozen=True, slots=True)
class ExternalConsistencyResult:
    """The verdict: ``ok`` and every violating pair (first = earliest T2 to start)."""

    ok: bool
    checked: int
    violations: tuple[Violation, ...]

    @property
    def explanation(self) -> str:
        """Why not, in one paragraph (empty when ok)."""
        if self.ok:
            return ""
        more = len(self.violations) - 1
        tail = f" ({more} more violating transaction{'s' * (more != 1)})" if more else ""
        return self.violations[0].explain() + tail

    def __bool__(self) -> bool:
        return self.ok


def committed_transactions(history: History) -> list[CommittedTxn]:
    """Every ``txn`` that completed ``ok`` in ``history`` (its reply value is ``s``)."""
    if not isinstance(history, History):
        raise TypeError(f"expected a sim History, got {type(history).__name__}")
    found = []
    for invoke, done in history.pairs():
        if invoke.f == "txn" and done is not None and done.type == "ok":
            found.append(CommittedTxn(name=f"T{invoke.request_id}", client=invoke.process,
                                      start=invoke.time, end=done.time, ts=done.value,
                                      writes=tuple(tuple(w) for w in invoke.value)))
    return found


def check_external_consistency(txns: list[CommittedTxn] | History) -> ExternalConsistencyResult:
    """Every pair with ``end(T1) < start(T2)`` must have ``ts(T1) < ts(T2)``."""
    if isinstance(txns, History):
        txns = committed_transactions(txns)
    bad = [t for t in txns if not isinstance(t, CommittedTxn)]
    if bad:
        raise TypeError(f"expected CommittedTxn records, got {type(bad[0]).__name__}")
    by_end = sorted(txns, key=lambda t: (t.end, t.ts))
    ends = [t.end for t in by_end]
    best: list[CommittedTxn] = []  # best[i] = the largest-ts txn among by_end[:i + 1]
    for txn in by_end:
        best.append(txn if not best or txn.ts > best[-1].ts else best[-1])
    violations = []
    for txn in sorted(txns, key=lambda t: (t.start, t.name)):
        finished = bisect.bisect_left(ends, txn.start)  # those with end < start
        if finished and best[finished - 1].ts >= txn.ts:
            violations.append(Violation(best[finished - 1], txn))
    return ExternalConsistencyResult(not violations, len(txns), tuple(violations))
