"""The replicated key-value store as an immutable value (:class:`KVValue`).

A :class:`~.state.RaftState` holds the state machine it has applied the
log to. That must be a value like the rest of the state, so this is the
:class:`~consensus_lab.kv.KVStore` frozen: its data and client sessions as
sorted tuples of pairs — exactly the store's snapshot (§7), so taking a
snapshot costs nothing and restoring one is free.

``apply`` returns the next store and the command's result. Commands that
are not a :class:`~consensus_lab.kv.Command` (tests replicate plain values,
as 6.5840 does) change nothing and cost nothing; a real command goes
through :class:`KVStore`, so the two stores can never disagree.
"""

from __future__ import annotations

from bisect import insort
from operator import itemgetter
from typing import Any

from ..kv import ABSENT, UNCHANGED, Command, KVStore, outcome
from ..sim.step import Value, frozen

FANOUT = 64  # keys are spread over FANOUT * FANOUT buckets; a write copies one of them
Bucket = tuple[tuple[Any, Any], ...]
EMPTY_ROW: tuple[Bucket, ...] = ((),) * FANOUT


@frozen
class KVValue(Value):
    """A key-value store with client sessions, as an immutable value.

    The keys live in ``FANOUT * FANOUT`` (4,096) buckets, in rows of
    :data:`FANOUT`, by their hash; a write copies one bucket (about n/4,096
    pairs), its row and the tuple of rows, not the whole store: applying
    50,000 commands stays linear. Which bucket a key
    is in depends on the process's string hashing, so nothing that leaves
    the store shows the buckets: :attr:`data` and :meth:`snapshot` list the
    keys sorted by their repr, as :meth:`KVStore.snapshot` does.
    """

    rows: tuple[tuple[Bucket, ...], ...] = (EMPTY_ROW,) * FANOUT
    session_items: tuple[tuple[str, tuple[int, Any]], ...] = ()  # sorted by client

    @property
    def items(self) -> tuple[tuple[Any, Any], ...]:
        """Every (key, value), sorted by the repr of the key (a snapshot's order)."""
        pairs = [pair for row in self.rows for bucket in row for pair in bucket]
        reprs = list(map(repr, map(itemgetter(0), pairs)))  # C loops: a snapshot's hot path
        return tuple([pairs[i] for i in sorted(range(len(pairs)), key=reprs.__getitem__)])

    @property
    def data(self) -> dict[Any, Any]:
        """The keys and values, as a fresh dict (in the order of :attr:`items`)."""
        return dict(self.items)

    @property
    def sessions(self) -> dict[str, tuple[int, Any]]:
        """client -> (last seq, its result), as a fresh dict."""
        return dict(self.session_items)

    def apply(self, command: Any) -> tuple[KVValue, Any]:
        """(the store after ``command``, its result); a duplicate returns the remembered one.

        Sessions as :meth:`KVStore.apply` keeps them; what the operation does is
        :func:`~consensus_lab.kv.outcome`, the definition both stores share.
        """
        if not isinstance(command, Command) or command.op == "noop":
            return self, KVStore().apply(command)
        last = _session_of(self.session_items, command.client)
        if last is not None and command.seq <= last[0]:
            return self, last[1] if command.seq == last[0] else "stale duplicate"
        top, sub = _place(command.key)
        row = self.rows[top]
        bucket = row[sub]
        at = next((i for i, (k, _v) in enumerate(bucket) if k == command.key), -1)
        written, result = outcome(command, ABSENT if at < 0 else bucket[at][1])
        rows = self.rows
        if written is not UNCHANGED:
            pair = (command.key, written)
            if at < 0:  # a new key: its place in the bucket is by hash, so equal stores are equal
                grown = list(bucket)
                insort(grown, pair, key=_hash_of_key)
                bucket = tuple(grown)
            else:
                bucket = (*bucket[:at], pair, *bucket[at + 1:])
            row = (*row[:sub], bucket, *row[sub + 1:])
            rows = (*rows[:top], row, *rows[top + 1:])
        sessions = _with_session(self.session_items, command.client, (command.seq, result))
        return KVValue(rows, sessions), result

    def snapshot(self) -> tuple[tuple[tuple[Any, Any], ...], tuple[tuple[str, Any], ...]]:
        """The whole state as a :meth:`KVStore.snapshot` value."""
        return self.items, self.session_items

    @classmethod
    def restore(cls, snapshot: Any) -> KVValue:
        """The store a :meth:`KVStore.snapshot` value (or None: empty) describes."""
        if not snapshot:
            return EMPTY_STORE
        data, sessions = snapshot
        rows: list[list[list[tuple[Any, Any]]]] = [[[] for _ in range(FANOUT)]
                                                   for _ in range(FANOUT)]
        for key, value in data:
            top, sub = _place(key)
            insort(rows[top][sub], (key, value), key=_hash_of_key)
        return cls(tuple(tuple(tuple(b) for b in row) for row in rows), tuple(sessions))


def _session_of(sessions: tuple[tuple[str, tuple[int, Any]], ...],
                client: str) -> tuple[int, Any] | None:
    for name, last in sessions:
        if name == client:
            return last
    return None


def _with_session(sessions: tuple[tuple[str, tuple[int, Any]], ...], client: str,
                  last: tuple[int, Any]) -> tuple[tuple[str, tuple[int, Any]], ...]:
    """``sessions`` (sorted by client) with ``client``'s last command set to ``last``."""
    for i, (name, _last) in enumerate(sessions):
        if name == client:
            return (*sessions[:i], (client, last), *sessions[i + 1:])
    kept = list(sessions)
    kept.append((client, last))
    kept.sort(key=_client_of)
    return tuple(kept)


def _client_of(pair: tuple[str, Any]) -> str:
    return pair[0]


def _place(key: Any) -> tuple[int, int]:
    """The (row, bucket) a key lives in."""
    code = hash(key)
    return code % FANOUT, (code // FANOUT) % FANOUT


def _hash_of_key(pair: tuple[Any, Any]) -> int:
    return hash(pair[0])


def _repr_of_key(pair: tuple[Any, Any]) -> str:
    return repr(pair[0])


EMPTY_STORE = KVValue()
