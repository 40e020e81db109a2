"""Exercise: Spanner's commit wait (提交等待) — write ``commit_timestamp`` and ``commit_wait_over``.

TrueTime (Spanner, OSDI 2012, §3) does not give a time; it gives an interval
``now = TTInterval(earliest, latest)`` that contains the true time, of width
2ε. A shard's leader commits a read-write transaction with two rules
(§4.1.2; DDIA ch. 9, 外部一致性 external consistency):

1. **Start** — the commit timestamp ``s`` is no less than ``now.latest``
   (no clock in the system can read beyond it yet), and, because a leader's
   timestamps rise strictly (§4.1.1), it is above ``last_timestamp``, the
   last one this leader gave out.
2. **Commit wait** — nobody may see the commit (the leader holds the reply
   and the locks) until ``TT.after(s)``: until even the *earliest* possible
   true time is strictly past ``s``.

Together they make timestamps agree with real time: when a client hears
"committed", true time is already past ``s``, so any transaction that starts
afterwards reads a ``latest`` above ``s``. The cost: about 2ε per commit.

Example: with ``now = TTInterval(90, 110)`` and ``last_timestamp = 0`` the
timestamp is 110; ``commit_wait_over(TTInterval(110, 130), 110)`` is False
(true time might be exactly 110), ``commit_wait_over(TTInterval(111, 131), 110)``
is True.

What to do: replace each ``raise NotImplementedError`` by your code (TODO).
Keep the signatures; the functions only read their arguments.

Check your work with ``consensus-lab check commit_wait`` (or
``check("commit_wait")`` in notebook 10). The checks try each rule on small
examples, compare your answers with the rules on 500 random cases, then put
your two functions into every shard leader of the lab's Spanner-like store
and check external consistency on a scripted story and on random workloads.
"""

from __future__ import annotations

from consensus_lab.spanner import TTInterval


def commit_timestamp(now: TTInterval, last_timestamp: int) -> int:
    """Rule 1: the commit timestamp ``s`` for a transaction committing at ``now``."""
    # TODO: no less than now.latest, and above last_timestamp.
    raise NotImplementedError


def commit_wait_over(now: TTInterval, s: int) -> bool:
    """Rule 2: may the leader answer now? True once ``TT.after(s)`` holds."""
    # TODO: compare the right end of the interval with s (strictly).
    raise NotImplementedError
