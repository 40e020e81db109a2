"""Exercise: Raft's vote (Leader 選舉) — write ``log_up_to_date`` and ``grant_vote``.

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

Rule 3 is what keeps a committed entry alive: a candidate needs votes from a
majority, every committed entry sits on a majority, the two majorities share
a server, and that server refuses a candidate whose log lacks the entry.

When the node calls ``grant_vote`` it has already applied the rule every
server follows: a message with a higher term made it adopt that term and
forget its old vote. So ``req.term`` is never above ``current_term`` here.

``req`` is a :class:`~consensus_lab.raft.RequestVote` with the fields
``term``, ``candidate_id``, ``last_log_index`` and ``last_log_term``.

Example: our log ends with term 2 at index 5. A candidate whose log ends with
term 3 at index 2 is more up to date (later last term, even though shorter);
one whose log ends with term 2 at index 4 is not (same last term, shorter).

What to do: replace each ``raise NotImplementedError`` by your code (TODO).
Keep the signatures; the functions only read their arguments.

Check your work with ``consensus-lab check raft_request_vote`` (or
``check("raft_request_vote")`` in notebook 05). The checks try each rule on
small examples, compare your answers with the rules on hundreds of seeded
random requests, then run simulated Raft clusters whose servers vote with
your ``grant_vote``: a split vote, the schedule where a stale log asks for
votes after an entry was committed, and 30 runs with crashes and partitions.
"""

from __future__ import annotations

from consensus_lab.raft import RequestVote


def log_up_to_date(my_last_term: int, my_last_index: int,
                   cand_last_term: int, cand_last_index: int) -> bool:
    """Is the candidate's log at least as up to date as mine? (§5.4.1)"""
    # TODO: compare the last terms first; only when they are equal, compare the lengths.
    raise NotImplementedError


def grant_vote(current_term: int, voted_for: str | None, my_last_term: int,
               my_last_index: int, req: RequestVote) -> bool:
    """Should a server in ``current_term`` that voted for ``voted_for`` grant ``req``?"""
    # TODO: rules 1, 2 and 3 above; use log_up_to_date for rule 3.
    raise NotImplementedError
