"""The four decisions of Figure 2 as pure functions a protocol is built with.

A :class:`RaftRules` value holds them; :class:`~.protocol.RaftProtocol`
calls them and never anything else to decide:

* ``grant_vote(state, request) -> bool`` — RequestVote receiver (§5.2, §5.4.1);
* ``consistency_check(state, prev_log_index, prev_log_term) -> (ok,
  conflict_term, conflict_index)`` — AppendEntries receiver step 2 (§5.3), with
  the fast-backup hint;
* ``merge_entries(state, prev_log_index, entries) -> (log, changed)`` —
  AppendEntries receiver steps 3 and 4;
* ``commit_index(state) -> int`` — the leader's commit rule (§5.3, §5.4.2).

The exercises' graders plug a learner's function in with
``dataclasses.replace(RaftRules.of(config), grant_vote=...)``, no subclass
needed. Two of :class:`~.config.RaftConfig`'s buggy switches pick a buggy
rule here (:meth:`RaftRules.of`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .config import RaftConfig
from .log import Log, LogReads
from .messages import LogEntry, RequestVote
from .state import RaftState


def log_up_to_date(log: LogReads, last_term: int, last_index: int) -> bool:
    """§5.4.1: is a log ending at ``last_term``/``last_index`` at least as up to date?
    Compare last terms; with equal terms, the longer log wins."""
    if last_term != log.last_term:
        return last_term > log.last_term
    return last_index >= log.last_index


def grant_vote(state: RaftState, req: RequestVote) -> bool:
    """Grant if the term is current, we have not voted for another, and the
    candidate's log is at least as up to date as ours (§5.2, §5.4.1)."""
    return (grant_vote_without_restriction(state, req)
            and log_up_to_date(state.log, req.last_log_term, req.last_log_index))


def grant_vote_without_restriction(state: RaftState, req: RequestVote) -> bool:
    """The buggy vote of ``election_restriction=False``: the log is not compared."""
    return req.term >= state.current_term and state.voted_for in (None, req.candidate_id)


def check_log(log: LogReads, prev: int, prev_term: int) -> tuple[bool, int, int]:
    """(True, 0, 0) when ``log`` has ``prev_term`` at ``prev``; else (False, hint term,
    hint index): (0, last index + 1) if too short, else our term there and its first index."""
    ours = log.term_at(prev)
    if ours == prev_term:
        return True, 0, 0
    if ours is None:  # our log is too short
        return False, 0, log.last_index + 1
    return False, ours, log.first_index_of_term(prev)


def consistency_check(state: RaftState, prev: int, prev_term: int) -> tuple[bool, int, int]:
    """AppendEntries receiver step 2 on ``state``'s log (see :func:`check_log`)."""
    return check_log(state.log, prev, prev_term)


def merge_log(log: Log, prev: int, entries: tuple[LogEntry, ...]) -> tuple[Log, bool]:
    """Truncate at the first conflict, append the rest: (the new log, whether it changed)."""
    if not entries:
        return log, False
    if prev == log.last_index:  # the common case: new entries at our end
        return log.appended(entries), True
    if log.term_at(prev + len(entries)) == entries[-1].term:
        return log, False  # same index and term as our entry: Log Matching says we have it all
    for offset, entry in enumerate(entries):
        index = prev + 1 + offset
        ours = log.term_at(index)
        if ours == entry.term:
            continue  # already have it (a duplicate or reordered message)
        if ours is not None:
            log = log.truncated(index)
        return log.appended(entries[offset:]), True
    return log, False


def merge_entries(state: RaftState, prev: int,
                  entries: tuple[LogEntry, ...]) -> tuple[Log, bool]:
    """AppendEntries receiver steps 3 and 4 on ``state``'s log (see :func:`merge_log`)."""
    return merge_log(state.log, prev, entries)


def _majority_match(state: RaftState) -> int:
    """The highest index a majority holds: the quorum-th largest match (ours is our last)."""
    matched = sorted([state.log.last_index, *(m for _, m in state.match_index)], reverse=True)
    return matched[state.quorum() - 1]


def commit_index(state: RaftState) -> int:
    """Commit the highest N held by a majority — if log[N] is of our term (§5.4.2).

    If log[N] is of an older term nothing commits now: terms only grow along
    a log, so no entry of our term lies below N either."""
    n = _majority_match(state)
    if n <= state.commit_index or state.log.term_at(n) != state.current_term:
        return state.commit_index
    return n


def commit_index_any_term(state: RaftState) -> int:
    """The buggy rule of ``commit_current_term_only=False``: count old-term entries too
    (the commit Figure 8 shows can be lost)."""
    return max(state.commit_index, _majority_match(state))


@dataclass(frozen=True, slots=True)
class RaftRules:
    """The decisions a :class:`~.protocol.RaftProtocol` delegates (module docstring)."""

    grant_vote: Callable[[RaftState, RequestVote], bool] = grant_vote
    consistency_check: Callable[[RaftState, int, int], tuple[bool, int, int]] = \
        consistency_check
    merge_entries: Callable[[RaftState, int, tuple[LogEntry, ...]], tuple[Log, bool]] = \
        merge_entries
    commit_index: Callable[[RaftState], int] = commit_index

    @classmethod
    def of(cls, config: RaftConfig) -> RaftRules:
        """The rules ``config``'s switches ask for (the buggy ones when switched off)."""
        return cls(
            grant_vote=grant_vote if config.election_restriction
            else grant_vote_without_restriction,
            commit_index=commit_index if config.commit_current_term_only
            else commit_index_any_term)
