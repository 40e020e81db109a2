"""Spanner's TrueTime and commit wait (Corbett et al., "Spanner", OSDI 2012, §3 and §4.1.2).

Theory of operation
-------------------
Spanner orders transactions by timestamps read from clocks, yet promises
*external consistency* (外部一致性): if T1 commits before T2 starts, in
real time, then T1's timestamp is the smaller. Clocks disagree, so how?

1. :class:`TrueTime` does not pretend: ``TT.now()`` is an interval
   ``[earliest, latest]`` of width 2ε that contains the true time.
2. A leader gives a commit the timestamp ``s = TT.now().latest`` — no
   clock can be later than that yet (:func:`commit_timestamp`).
3. **Commit wait** (提交等待): the leader answers only once
   ``TT.now().earliest > s`` (:func:`commit_wait_over`), so ``s`` is
   already in the past, on every clock, when anybody hears of the commit.
   Any transaction that starts afterwards reads a ``latest`` beyond ``s``.
   The price is about 2ε per commit.

:mod:`.store` is a small sharded store that does this on the lab's
simulator (what it simplifies is listed there), as a step function
(:class:`SpannerStore` over the immutable :class:`SpannerState`); :mod:`.checker` checks the
guarantee on a client history and explains a violation; :mod:`.experiments`
measures commit latency against ε and finds the anomaly when commit wait
is off or a clock is wrong by more than ε; :mod:`.chubby` sets Chubby's
published figures beside the lab's Multi-Paxos and Raft.
"""

from .checker import (
    CommittedTxn,
    ExternalConsistencyResult,
    Violation,
    check_external_consistency,
    committed_transactions,
)
from .cluster import (
    DEFAULT_NETWORK,
    clock_error_at,
    keys_by_shard,
    run_clients,
    spanner_sim,
)
from .experiments import (
    EPSILONS,
    AnomalyRun,
    find_anomaly,
    latency_row,
    latency_vs_epsilon,
    scripted_anomaly,
    workload_run,
)
from .messages import Commit, Replicate, Replicated
from .state import SpannerState
from .store import SpannerConfig, SpannerNode, SpannerStore
from .truetime import TrueTime, TTInterval, commit_timestamp, commit_wait_over, wait_ticks

__all__ = [
    "AnomalyRun", "Commit", "CommittedTxn", "DEFAULT_NETWORK", "EPSILONS",
    "ExternalConsistencyResult", "Replicate", "Replicated", "SpannerConfig", "SpannerNode",
    "SpannerState", "SpannerStore",
    "TTInterval", "TrueTime", "Violation", "check_external_consistency", "clock_error_at",
    "commit_timestamp", "commit_wait_over", "committed_transactions", "find_anomaly",
    "keys_by_shard", "latency_row", "latency_vs_epsilon", "run_clients", "scripted_anomaly",
    "spanner_sim", "wait_ticks", "workload_run",
]
