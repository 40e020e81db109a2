"""Exercise: Spanner's commit wait (提交等待) — reference solution.

The rules (Spanner, OSDI 2012, §4.1.2):

1. Start: the commit timestamp s is no less than TT.now().latest, and above
   every timestamp this leader gave out before (§4.1.1).
2. Commit wait: clients see the commit only once TT.after(s), i.e. once
   TT.now().earliest > s.

Check with ``consensus-lab check commit_wait --answers solutions``.
"""

from __future__ import annotations

from consensus_lab.spanner import TTInterval


def commit_timestamp(now: TTInterval, last_timestamp: int) -> int:
    """Rule 1: ``s = max(now.latest, last_timestamp + 1)``."""
    return max(now.latest, last_timestamp + 1)


def commit_wait_over(now: TTInterval, s: int) -> bool:
    """Rule 2: ``TT.after(s)`` — even the earliest possible true time is past ``s``."""
    return now.earliest > s
