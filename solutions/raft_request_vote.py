"""Exercise: Raft's vote (Leader 選舉) — reference solution.

The rules (Raft paper, Figure 2 "RequestVote RPC, receiver implementation",
§5.2 and §5.4.1; DDIA ch. 9, leader election, Leader 選舉):

1. Reply false if ``req.term < current_term`` — a request from an earlier
   term (任期) is stale.
2. One vote per term: grant only if ``voted_for`` is None or already
   ``req.candidate_id`` (the candidate may ask again when a reply was lost).
3. The election restriction: grant only if the candidate's log is at least
   as up to date as ours. "If the logs have last entries with different
   terms, then the log with the later term is more up-to-date. If the logs
   end with the same term, then whichever log is longer is more up-to-date."

Check with ``consensus-lab check raft_request_vote --answers solutions``.
"""

from __future__ import annotations

from consensus_lab.raft import RequestVote


def log_up_to_date(my_last_term: int, my_last_index: int,
                   cand_last_term: int, cand_last_index: int) -> bool:
    """Is the candidate's log at least as up to date as mine? (§5.4.1)"""
    if cand_last_term != my_last_term:
        return cand_last_term > my_last_term
    return cand_last_index >= my_last_index


def grant_vote(current_term: int, voted_for: str | None, my_last_term: int,
               my_last_index: int, req: RequestVote) -> bool:
    """Should a server in ``current_term`` that voted for ``voted_for`` grant ``req``?"""
    if req.term < current_term:
        return False
    if voted_for is not None and voted_for != req.candidate_id:
        return False
    return log_up_to_date(my_last_term, my_last_index, req.last_log_term, req.last_log_index)
