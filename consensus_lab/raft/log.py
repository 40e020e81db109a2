"""The Raft log, 1-indexed, with a snapshot prefix (§5.3, §7).

Entries ``1..snapshot_index`` have been compacted into a snapshot; the log
keeps only ``snapshot_term`` (the term of entry ``snapshot_index``) and the
entries after it. Index 0 with term 0 stands before every log, so the
consistency check of the very first AppendEntries always passes.

Invariant: ``snapshot_index <= last_index`` and
``entries[i - snapshot_index - 1]`` is entry ``i`` for every
``snapshot_index < i <= last_index``.

Two classes share the reading methods (:class:`LogReads`):

* :class:`Log` is an immutable value, the log inside a
  :class:`~.state.RaftState`: every change returns a new log
  (``appended``, ``truncated``, ``compacted``, ``reset_to``) and shares the
  entries, which are frozen.
* :class:`RaftLog` is a mutable working copy with ``append`` and
  ``truncate_from``: the exercises hand one to the learner's
  ``merge_entries``, and :meth:`RaftLog.freeze` turns it back into a value.

``rewrites`` counts the changes that remove or replace entries (truncate,
compact, reset); between two equal counts the log only grew at its end, so
the safety invariants check just the new entries instead of the whole log.
It is a cache key of the invariants, not part of the value: two logs with
the same entries are equal whatever their counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import field

from ..sim.step import Value, frozen
from .messages import LogEntry


class CompactedError(LookupError):
    """The entry asked for has been compacted into the snapshot."""


class LogReads:
    """The reading half of a log, shared by :class:`Log` and :class:`RaftLog`."""

    __slots__ = ()
    entries: Sequence[LogEntry]
    snapshot_index: int
    snapshot_term: int

    @property
    def last_index(self) -> int:
        """Index of the last entry (the snapshot's when the log is empty)."""
        return self.snapshot_index + len(self.entries)

    @property
    def last_term(self) -> int:
        """Term of the last entry."""
        return self.entries[-1].term if self.entries else self.snapshot_term

    def term_at(self, index: int) -> int | None:
        """The term of entry ``index``; None when the log has no such entry."""
        if index == self.snapshot_index:
            return self.snapshot_term
        if index < self.snapshot_index:
            raise CompactedError(f"entry {index} is in the snapshot (up to {self.snapshot_index})")
        offset = index - self.snapshot_index - 1
        return self.entries[offset].term if offset < len(self.entries) else None

    def entry(self, index: int) -> LogEntry:
        """Entry ``index`` (it must exist after the snapshot)."""
        if not self.snapshot_index < index <= self.last_index:
            raise IndexError(f"no entry {index}: the log holds "
                             f"{self.snapshot_index + 1}..{self.last_index}")
        return self.entries[index - self.snapshot_index - 1]

    def between(self, first: int, last: int) -> Sequence[LogEntry]:
        """Entries ``first..last`` (they must exist after the snapshot; none if first > last)."""
        if first > last:
            return ()
        if not self.snapshot_index < first <= last <= self.last_index:
            raise IndexError(f"no entries {first}..{last}: the log holds "
                             f"{self.snapshot_index + 1}..{self.last_index}")
        return self.entries[first - self.snapshot_index - 1:last - self.snapshot_index]

    def slice_from(self, index: int, limit: int) -> tuple[LogEntry, ...]:
        """Up to ``limit`` entries starting at ``index``."""
        start = index - self.snapshot_index - 1
        return tuple(self.entries[start:start + limit])

    def first_index_of_term(self, index: int) -> int:
        """The first index of the run of entries with the same term as ``index``."""
        term = self.term_at(index)
        while index - 1 > self.snapshot_index and self.term_at(index - 1) == term:
            index -= 1
        return index

    def last_index_of_term(self, term: int) -> int | None:
        """The last index holding ``term``, or None if the term is absent."""
        for offset in range(len(self.entries) - 1, -1, -1):
            if self.entries[offset].term == term:
                return self.snapshot_index + offset + 1
            if self.entries[offset].term < term:
                return None
        return self.snapshot_index if self.snapshot_term == term and term else None

    def as_tuple(self) -> tuple[LogEntry, ...]:
        """The entries after the snapshot, as an immutable tuple (for persisting)."""
        return tuple(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __str__(self) -> str:
        return self.short(count=len(self.entries))

    def short(self, count: int = 8) -> str:
        """The terms of the last ``count`` entries, e.g. ``[snap 1/4] +12 3 3 4``
        (12 entries left out): a trace label that stays small on long logs."""
        prefix = ""
        if self.snapshot_index:
            prefix = f"[snap {self.snapshot_term}/{self.snapshot_index}] "
        hidden = len(self.entries) - count
        if hidden > 0:
            prefix += f"+{hidden} "
        shown = self.entries[-count:] if count else []
        return prefix + " ".join(str(e.term) for e in shown)


@frozen
class Log(LogReads, Value):
    """An immutable Raft log: the value a :class:`~.state.RaftState` holds."""

    entries: tuple[LogEntry, ...] = ()
    snapshot_index: int = 0
    snapshot_term: int = 0
    rewrites: int = field(default=0, compare=False)  # a cache key, not part of the value

    def appended(self, entries: Iterable[LogEntry]) -> Log:
        """This log with ``entries`` added at its end."""
        return Log(self.entries + tuple(entries), self.snapshot_index, self.snapshot_term,
                   self.rewrites)

    def truncated(self, index: int) -> Log:
        """This log without entry ``index`` and everything after it (§5.3, conflict)."""
        return Log(self.entries[:index - self.snapshot_index - 1], self.snapshot_index,
                   self.snapshot_term, self.rewrites + 1)

    def compacted(self, index: int, term: int) -> Log:
        """Entries up to ``index`` dropped: now in a snapshot whose last term is ``term``."""
        keep_from = index - self.snapshot_index
        kept = self.entries[keep_from:] if keep_from <= len(self.entries) else ()
        return Log(kept, index, term, self.rewrites + 1)

    def reset_to(self, index: int, term: int) -> Log:
        """Every entry discarded: the log is now only a snapshot up to ``index`` (§7)."""
        return Log((), index, term, self.rewrites + 1)

    def thaw(self) -> RaftLog:
        """A mutable working copy (for a learner's ``merge_entries``)."""
        log = RaftLog(self.entries, self.snapshot_index, self.snapshot_term)
        log.rewrites = self.rewrites
        return log

    def __repr__(self) -> str:
        return f"Log({self.short()!r})"


EMPTY_LOG = Log()


class RaftLog(LogReads):
    """A mutable Raft log: the working copy an exercise changes in place."""

    __slots__ = ("entries", "rewrites", "snapshot_index", "snapshot_term")

    def __init__(self, entries: Iterable[LogEntry] = (), snapshot_index: int = 0,
                 snapshot_term: int = 0) -> None:
        self.entries: list[LogEntry] = list(entries)
        self.snapshot_index = snapshot_index
        self.snapshot_term = snapshot_term
        self.rewrites = 0  # bumped by every change other than append

    def append(self, entry: LogEntry) -> int:
        """Append one entry; returns its index."""
        self.entries.append(entry)
        return self.last_index

    def truncate_from(self, index: int) -> None:
        """Delete entry ``index`` and everything after it (§5.3, conflict)."""
        del self.entries[index - self.snapshot_index - 1:]
        self.rewrites += 1

    def freeze(self) -> Log:
        """The immutable value of this log as it stands."""
        return Log(tuple(self.entries), self.snapshot_index, self.snapshot_term, self.rewrites)
