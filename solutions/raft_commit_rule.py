"""Exercise: when may the leader commit? (安全性保證) — reference solution.

The rule (Raft paper, Figure 2 "Rules for Servers, Leaders", §5.3 and §5.4.2;
DDIA ch. 9, safety, 安全性保證):

    If there exists an N such that N > commitIndex, a majority of
    matchIndex[i] ≥ N, and log[N].term == currentTerm: set commitIndex = N.

Check with ``consensus-lab check raft_commit_rule --answers solutions``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def new_commit_index(commit_index: int, current_term: int, my_last_index: int,
                     match_indexes: Sequence[int], term_at: Callable[[int], int | None]) -> int:
    """The leader's commit index after applying the rule (``commit_index`` if no N qualifies)."""
    majority = (len(match_indexes) + 1) // 2 + 1
    for n in range(my_last_index, commit_index, -1):
        if term_at(n) != current_term:
            continue
        holders = 1 + sum(1 for match in match_indexes if match >= n)  # 1: the leader itself
        if holders >= majority:
            return n
    return commit_index
