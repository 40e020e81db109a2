"""The replicated key-value store as an immutable value (:class:`KVValue`).

A :class:`~.state.RaftState` holds the state machine it has applied the
log to. That must be a value like the rest of the state, so this is the
:class:`~consensus_lab.kv.KVStore` frozen: its data and client sessions as
keys spread over hashed buckets, so a write copies one bucket, not the store.

A snapshot (§7) of an immutable store needs no copy: :meth:`KVValue.snapshot`
is a :class:`KVSnapshot` that keeps the store, equal to (and shown as)
:meth:`KVStore.snapshot`'s sorted pairs, which it builds only when someone
looks; restoring it gives the store back as it was.

``apply`` returns the next store and the command's result. Commands that
are not a :class:`~consensus_lab.kv.Command` (tests replicate plain values,
as 6.5840 does) change nothing and cost nothing; a real command goes
through :class:`KVStore`, so the two stores can never disagree.

Every replica applies the same commands in the same order to equal stores;
in one simulation, to the very same store values (all start from
:data:`EMPTY_STORE`). :class:`_SharedApplies` remembers the last few
thousand ``(store, command) -> (store, result)`` steps, so the first replica
computes each one and the others take its result: the replicas share their
stores, as a persistent data structure shares what did not change.
"""

from __future__ import annotations

from bisect import insort
from collections import OrderedDict
from collections.abc import Iterator
from operator import itemgetter
from typing import Any, TypeVar

from ..kv import ABSENT, UNCHANGED, Command, KVStore, outcome
from ..sim.step import Value, frozen

FANOUT = 64  # keys are spread over FANOUT * FANOUT buckets; a write copies one of them
Bucket = tuple[tuple[Any, Any], ...]
EMPTY_ROW: tuple[Bucket, ...] = ((),) * FANOUT
T = TypeVar("T")


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
        known = SHARED.get(self, command)
        if known is not None:
            return known
        return SHARED.put(self, command, self._apply(command))

    def _apply(self, command: Command) -> tuple[KVValue, Any]:
        """``apply`` of a real command, computed."""
        sessions = self.session_items
        last = _session_of(sessions, command.client)
        if last is not None and command.seq <= last[0]:
            return self, last[1] if command.seq == last[0] else "stale duplicate"
        key = command.key
        top, sub = _place(key)
        rows = self.rows
        row = rows[top]
        bucket = row[sub]
        at = _find(bucket, key)
        written, result = outcome(command, ABSENT if at < 0 else bucket[at][1])
        if written is not UNCHANGED:
            pair = (key, written)
            bucket = _inserted(bucket, pair) if at < 0 else _replaced(bucket, at, pair)
            rows = _replaced(rows, top, _replaced(row, sub, bucket))
        return _store(rows, _with_session(sessions, command.client, (command.seq, result))), result

    def snapshot(self) -> KVSnapshot:
        """The whole state, equal to its :meth:`KVStore.snapshot` value (no copy made)."""
        return KVSnapshot(self)

    @classmethod
    def restore(cls, snapshot: Any) -> KVValue:
        """The store a snapshot (a :class:`KVSnapshot`, a :meth:`KVStore.snapshot` value,
        or None: empty) describes."""
        if isinstance(snapshot, KVSnapshot):
            return snapshot.store
        if not snapshot:
            return EMPTY_STORE
        data, sessions = snapshot
        rows: list[list[list[tuple[Any, Any]]]] = [[[] for _ in range(FANOUT)]
                                                   for _ in range(FANOUT)]
        for key, value in data:
            top, sub = _place(key)
            insort(rows[top][sub], (key, value), key=_hash_of_key)
        return cls(tuple(tuple(tuple(b) for b in row) for row in rows), tuple(sessions))


Pairs = tuple[tuple[tuple[Any, Any], ...], tuple[tuple[str, Any], ...]]


class KVSnapshot:
    """A snapshot of a :class:`KVValue` (§7): the store itself, never changed.

    It equals, hashes and prints as the ``(items, sessions)`` pair of
    :meth:`KVStore.snapshot` (unpack it, index it, compare it with one), but
    builds that sorted pair only the first time someone looks: a replica
    that compacts its log every few thousand entries and is never asked
    for the snapshot pays nothing for it.
    """

    __slots__ = ("_pair", "store")

    def __init__(self, store: KVValue) -> None:
        self.store = store
        self._pair: Pairs | None = None

    def pair(self) -> Pairs:
        """The :meth:`KVStore.snapshot` value: (items sorted by key repr, sessions)."""
        if self._pair is None:
            self._pair = (self.store.items, self.store.session_items)
        return self._pair

    def __iter__(self) -> Iterator[Any]:
        return iter(self.pair())

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> Any:
        return self.pair()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KVSnapshot):
            return self.store is other.store or self.pair() == other.pair()
        if isinstance(other, tuple):
            return self.pair() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.pair())

    def __repr__(self) -> str:
        return repr(self.pair())

    def __reduce__(self) -> tuple[type[KVSnapshot], tuple[KVValue]]:
        return KVSnapshot, (self.store,)


class _SharedApplies:
    """The last ``size`` applies, ``(store, command) -> (store after, result)``.

    ``apply`` is a pure function of two immutable values, so a replica
    applying a command to a store another replica already applied it to
    can take that replica's result. Keys are the identities of the two
    objects (hashing a whole store would cost more than applying); each
    entry holds both objects, so their ids cannot be reused while it is
    kept, and is checked with ``is`` when found.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.steps: OrderedDict[tuple[int, int], tuple[KVValue, Command, KVValue, Any]] = \
            OrderedDict()

    def get(self, store: KVValue, command: Command) -> tuple[KVValue, Any] | None:
        """The remembered (store after, result) of this very store and command, if any."""
        found = self.steps.get((id(store), id(command)))
        if found is None or found[0] is not store or found[1] is not command:
            return None
        return found[2], found[3]

    def put(self, store: KVValue, command: Command,
            done: tuple[KVValue, Any]) -> tuple[KVValue, Any]:
        """Remember ``done`` for ``(store, command)`` (forgetting the oldest); returns it."""
        steps = self.steps
        steps[(id(store), id(command))] = (store, command, *done)
        if len(steps) > self.size:
            steps.popitem(last=False)
        return done


#: Enough for followers that lag their leader by a few hundred commands.
SHARED = _SharedApplies(4096)


def _session_of(sessions: tuple[tuple[str, tuple[int, Any]], ...],
                client: str) -> tuple[int, Any] | None:
    for name, last in sessions:
        if name == client:
            return last
    return None


def _with_session(sessions: tuple[tuple[str, tuple[int, Any]], ...], client: str,
                  last: tuple[int, Any]) -> tuple[tuple[str, tuple[int, Any]], ...]:
    """``sessions`` (sorted by client) with ``client``'s last command set to ``last``."""
    for at, (name, _last) in enumerate(sessions):
        if name == client:
            return _replaced(sessions, at, (client, last))
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



# The helpers below are the hot path of applying a command: plain loops and
# one list copy each, which CPython runs faster than generator expressions
# and tuple unpacking.
def _find(bucket: Bucket, key: Any) -> int:
    """Where ``key`` is in ``bucket``, or -1."""
    for at, (k, _value) in enumerate(bucket):
        if k == key:
            return at
    return -1


def _replaced(items: tuple[T, ...], at: int, item: T) -> tuple[T, ...]:
    """``items`` with the one at ``at`` replaced by ``item`` (a new tuple)."""
    copy = list(items)
    copy[at] = item
    return tuple(copy)


def _inserted(bucket: Bucket, pair: tuple[Any, Any]) -> Bucket:
    """``bucket`` with a new key's ``pair`` in its place by hash, so equal stores are equal."""
    grown = list(bucket)
    insort(grown, pair, key=_hash_of_key)
    return tuple(grown)


_new = object.__new__
_set_rows = KVValue.rows.__set__  # type: ignore[attr-defined]
_set_sessions = KVValue.session_items.__set__  # type: ignore[attr-defined]


def _store(rows: tuple[tuple[Bucket, ...], ...],
           sessions: tuple[tuple[str, tuple[int, Any]], ...]) -> KVValue:
    """``KVValue(rows, sessions)`` without the frozen ``__init__``'s checked writes."""
    store = _new(KVValue)
    _set_rows(store, rows)
    _set_sessions(store, sessions)
    return store


EMPTY_STORE = KVValue()
