"""Exercise: the follower's side of AppendEntries (日誌複製) — reference solution.

The rules (Raft paper, Figure 2 "AppendEntries RPC, receiver implementation",
§5.3; the fast-backup hint of §5.3 and MIT 6.5840; DDIA ch. 9, log
replication, 日誌複製):

Consistency check (step 2): accept only if our log holds an entry at
``prev_log_index`` whose term is ``prev_log_term`` (index 0, before every
log, has term 0 and always matches). On a rejection, tell the leader where
to retry:

* our log is too short (no entry at ``prev_log_index``):
  ``conflict_term = 0`` and ``conflict_index = last_index + 1``;
* our entry there has another term T: ``conflict_term = T`` and
  ``conflict_index`` = the first index in our log holding term T.

Merge (steps 3 and 4), once the check passed: walk the new entries; while
our entry at the same index has the same term, we already have it (Log
Matching); at the first index where the terms differ, delete that entry
and everything after it, then append the remaining new entries. If every
new entry is already there — a duplicate or a stale, reordered message —
change nothing: never truncate entries the message agrees with.

Check with ``consensus-lab check raft_append_entries --answers solutions``.
"""

from __future__ import annotations

from collections.abc import Sequence

from consensus_lab.raft import LogEntry, RaftLog


def consistency_check(log: RaftLog, prev_log_index: int,
                      prev_log_term: int) -> tuple[bool, int, int]:
    """``(ok, conflict_term, conflict_index)``; the hint is ``(True, 0, 0)`` when ok."""
    ours = log.term_at(prev_log_index)
    if ours == prev_log_term:
        return True, 0, 0
    if ours is None:
        return False, 0, log.last_index + 1
    first = prev_log_index
    while first - 1 > log.snapshot_index and log.term_at(first - 1) == ours:
        first -= 1
    return False, ours, first


def merge_entries(log: RaftLog, prev_log_index: int, entries: Sequence[LogEntry]) -> bool:
    """Put ``entries`` after ``prev_log_index``; True if the log changed."""
    for offset, entry in enumerate(entries):
        index = prev_log_index + 1 + offset
        ours = log.term_at(index)
        if ours == entry.term:
            continue
        if ours is not None:
            log.truncate_from(index)
        for rest in entries[offset:]:
            log.append(rest)
        return True
    return False
