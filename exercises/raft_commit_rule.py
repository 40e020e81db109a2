"""Exercise: when may the leader commit? (安全性保證) — write ``new_commit_index``.

The rule (Raft paper, Figure 2 "Rules for Servers, Leaders", §5.3 and §5.4.2;
DDIA ch. 9, safety, 安全性保證):

    If there exists an N such that N > commitIndex, a majority of
    matchIndex[i] ≥ N, and log[N].term == currentTerm: set commitIndex = N.

Three parts, each easy to slip on:

* **A majority of the whole cluster**, the leader included: the leader holds
  every entry of its own log, so it counts as one server holding N. With
  ``len(match_indexes)`` followers the cluster has ``len(match_indexes) + 1``
  servers, and a majority is more than half of *that*.
* **Only an entry of the leader's current term (任期) is committed by
  counting.** An entry of an earlier term may sit on a majority and still be
  overwritten later — the paper's Figure 8. It becomes committed indirectly,
  when an entry of the current term after it is committed (Log Matching: a
  log that holds entry N holds everything before it).
* **The highest such N**, and the commit index never moves backwards: if no
  N above ``commit_index`` qualifies, return ``commit_index`` unchanged.

The arguments: ``match_indexes`` is a tuple with one number per follower, the
highest index known to be replicated on it (0 at first); ``my_last_index`` is
the index of the leader's last entry; ``term_at(index)`` gives the term of
the leader's entry ``index`` for ``1 <= index <= my_last_index``.

Example: five servers, we lead term 4, our log has the terms ``1 2 2 4``
(``my_last_index = 4``), ``match_indexes = (4, 3, 3, 0)``, ``commit_index = 1``.
Entry 4 is on 2 servers (us and one follower): no majority. Entry 3 is on 4
servers, but of term 2, so counting does not commit it. Answer: 1. Once a
second follower reports 4, entry 4 is on 3 of 5 servers and of term 4:
answer 4 — which commits entries 2 and 3 as well.

What to do: replace the ``raise NotImplementedError`` by your code (TODO).

Check your work with ``consensus-lab check raft_commit_rule`` (or
``check("raft_commit_rule")`` in notebook 07). The checks try each part of the
rule on small examples, compare your answers with the rule on hundreds of
seeded random leader states, replay the Figure 8 schedule with leaders that
commit by your rule, and run 30 simulated clusters with crashes and
partitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def new_commit_index(commit_index: int, current_term: int, my_last_index: int,
                     match_indexes: Sequence[int], term_at: Callable[[int], int | None]) -> int:
    """The leader's commit index after applying the rule (``commit_index`` if no N qualifies)."""
    # TODO: look for the highest N > commit_index held by a majority (the leader counts)
    # whose entry is of current_term.
    raise NotImplementedError
