"""Exercise: the follower's side of AppendEntries (日誌複製) — write the check and the merge.

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
change nothing: never truncate entries the message agrees with. (The
network may deliver an old AppendEntries after a newer one; truncating then
would throw away entries this follower already acknowledged, which the
leader may have counted to commit.)

The log is a :class:`~consensus_lab.raft.RaftLog`, 1-indexed. Use:

* ``log.term_at(index)`` — the term of entry ``index``; 0 for index 0;
  ``None`` when the log has no entry there (it is too short);
* ``log.last_index`` — the index of the last entry (0 when empty);
* ``log.truncate_from(index)`` — delete entry ``index`` and all after it;
* ``log.append(entry)`` — add one ``LogEntry`` (it has ``.term``) at the end.

(``log.snapshot_index`` is 0 in this exercise; a hint scan that stops there
also works once snapshots compact the log's start.)

Example: our log holds the terms ``1 1 2 2 2`` (indexes 1..5). A message with
``prev_log_index=4, prev_log_term=3`` is refused with the hint
``(conflict_term=2, conflict_index=3)``; one with ``prev_log_index=7`` is
refused with ``(0, 6)``. After a message with ``prev_log_index=2``,
``merge_entries(log, 2, [term 2, term 3])`` keeps entry 3 (same term 2),
finds the first conflict at entry 4 (2 ≠ 3), truncates from 4 and appends:
the log becomes ``1 1 2 3`` and the function returns True. A stale copy of an
older message, ``merge_entries(log, 2, [term 2, term 2])``, matches entries 3
and 4, so the log stays ``1 1 2 2 2`` (entry 5 too) and it returns False.

What to do: replace each ``raise NotImplementedError`` by your code (TODO).
``consistency_check`` only reads the log; ``merge_entries`` changes it.

Check your work with ``consensus-lab check raft_append_entries`` (or
``check("raft_append_entries")`` in notebook 06). The checks try each rule on
small logs, compare your functions with the rules on hundreds of seeded
random leader/follower logs, then run 30 simulated five-node clusters whose
followers use your functions, on a network that loses, duplicates and
reorders messages, with crashes and partitions.
"""

from __future__ import annotations

from collections.abc import Sequence

from consensus_lab.raft import LogEntry, RaftLog


def consistency_check(log: RaftLog, prev_log_index: int,
                      prev_log_term: int) -> tuple[bool, int, int]:
    """``(ok, conflict_term, conflict_index)``; return ``(True, 0, 0)`` when ok."""
    # TODO: compare log.term_at(prev_log_index) with prev_log_term; on a rejection,
    # compute the hint for the two cases above.
    raise NotImplementedError


def merge_entries(log: RaftLog, prev_log_index: int, entries: Sequence[LogEntry]) -> bool:
    """Put ``entries`` after ``prev_log_index``; return True if the log changed."""
    # TODO: skip the entries we already have, truncate at the first conflict only,
    # append the rest.
    raise NotImplementedError
