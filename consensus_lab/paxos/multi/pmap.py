"""A persistent map: the dict a Multi-Paxos state holds, as an immutable value.

A server's slots (decided commands, accepted pvalues, proposals) and its
key-value store grow with every command, so a state value that copied a
tuple of them on every change would make a long run quadratic. A
:class:`PMap` is a trie of :data:`FANOUT`-way tuples, :data:`DEPTH` levels
deep, indexed by the digits of ``hash(key)``; the last level holds small
buckets of ``(key, value)`` pairs. ``set`` and ``without`` copy one path
from the root (``DEPTH`` tuples of ``FANOUT`` entries) and share the rest.

A slot is a non-negative int and ``hash(n) == n`` for those, so slots are
laid out in order: :meth:`PMap.items` lists them sorted, and
:meth:`PMap.items_from` skips every subtree below the slot asked for.
Other keys (strings) come out in hash order, which changes between
processes: :meth:`PMap.sorted_items` sorts them by ``repr`` for anyone
to read. The shape depends only on the contents (empty subtrees are
``None``; a bucket is sorted by hash, then repr), so equal maps are equal
values with equal hashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...sim.step import Value, frozen

BITS = 6
FANOUT = 1 << BITS  # 64 children per trie node
DEPTH = 4  # FANOUT ** DEPTH = 16,777,216 slots before two share a bucket
SHIFTS = tuple(BITS * level for level in range(DEPTH - 1, -1, -1))  # high digit first
Pair = tuple[Any, Any]
_MISSING = object()
_EMPTY_NODE: tuple[Any, ...] = (None,) * FANOUT


def _digits(key: Any) -> tuple[int, ...]:
    """The path to ``key``'s bucket: ``DEPTH`` base-``FANOUT`` digits of its hash, high first."""
    code = hash(key)
    return tuple((code >> shift) & (FANOUT - 1) for shift in SHIFTS)


def _pair_order(pair: Pair) -> tuple[int, str]:
    return hash(pair[0]), repr(pair[0])


def _put(root: Any, key: Any, value: Any) -> tuple[Any, bool]:
    """(``root`` with ``key -> value``, whether ``key`` was there); ``value`` ``_MISSING``
    removes it. ``None`` stands for an empty subtree; only the path to the key is copied."""
    code, nodes, node = hash(key), [], root
    path = [(code >> shift) & (FANOUT - 1) for shift in SHIFTS]
    for digit in path:  # walk down, remembering each node on the way
        node = node or _EMPTY_NODE
        nodes.append(node)
        node = node[digit]
    bucket: tuple[Pair, ...] = node or ()
    kept = [p for p in bucket if p[0] != key]
    found = len(kept) != len(bucket)
    if value is not _MISSING:
        kept.append((key, value))
        if len(kept) > 1:
            kept.sort(key=_pair_order)
    child: Any = tuple(kept) or None
    for level in range(DEPTH - 1, -1, -1):  # copy the path back up
        copied = list(nodes[level])
        copied[path[level]] = child
        child = tuple(copied) if child is not None or any(copied) else None
    return child, found


def _walk(node: Any, depth: int, low: tuple[int, ...] | None) -> Iterator[Pair]:
    """Every pair under ``node`` in trie order, from the path ``low`` on (None: all)."""
    if node is None:
        return
    if depth == DEPTH:
        yield from node
        return
    first = 0 if low is None else low[depth]
    for digit in range(first, FANOUT):
        yield from _walk(node[digit], depth + 1, low if digit == first and low else None)


@frozen
class PMap(Value):
    """An immutable map with dict-like reads; ``set``/``without`` return a new map."""

    root: Any = None
    size: int = 0

    @classmethod
    def of(cls, pairs: Any) -> PMap:
        """The map holding ``pairs`` (an iterable of ``(key, value)``, or a dict)."""
        found = EMPTY
        for key, value in (pairs.items() if isinstance(pairs, dict) else pairs):
            found = found.set(key, value)
        return found

    def _bucket(self, key: Any) -> tuple[Pair, ...]:
        node, code = self.root, hash(key)
        for shift in SHIFTS:
            if node is None:
                return ()
            node = node[(code >> shift) & (FANOUT - 1)]
        return node or ()

    def get(self, key: Any, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        for k, v in self._bucket(key):
            if k == key:
                return v
        return default

    def __getitem__(self, key: Any) -> Any:
        found = self.get(key, _MISSING)
        if found is _MISSING:
            raise KeyError(key)
        return found

    def __contains__(self, key: Any) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[Any]:
        return (k for k, _v in self.items())

    def set(self, key: Any, value: Any) -> PMap:
        """This map with ``key -> value``."""
        root, found = _put(self.root, key, value)
        return PMap(root, self.size if found else self.size + 1)

    def without(self, key: Any) -> PMap:
        """This map without ``key`` (itself when ``key`` is absent)."""
        root, found = _put(self.root, key, _MISSING)
        return PMap(root, self.size - 1) if found else self

    def items(self) -> Iterator[Pair]:
        """Every ``(key, value)``: slots in slot order, other keys in hash order."""
        return _walk(self.root, 0, None)

    def items_from(self, slot: int) -> Iterator[Pair]:
        """``(slot, value)`` for every slot from ``slot`` on, in order (slot keys only)."""
        return (p for p in _walk(self.root, 0, _digits(max(slot, 0))) if p[0] >= slot)

    def values(self) -> Iterator[Any]:
        """Every value, in the order of :meth:`items`."""
        return (v for _k, v in self.items())

    def sorted_items(self) -> list[Pair]:
        """Every ``(key, value)`` sorted by the repr of the key (the same in every process)."""
        return sorted(self.items(), key=lambda pair: repr(pair[0]))

    def last(self) -> Any:
        """The highest slot held (0 when empty; slot keys only)."""
        return 0 if self.root is None else _last(self.root, 0)

    def __repr__(self) -> str:
        return "PMap({" + ", ".join(f"{k!r}: {v!r}" for k, v in self.items()) + "})"


def _last(node: Any, depth: int) -> Any:
    """The highest key of the non-empty subtree ``node`` (slot keys: the rightmost one)."""
    if depth == DEPTH:
        return max(k for k, _v in node)
    return _last(next(c for c in reversed(node) if c is not None), depth + 1)


EMPTY = PMap()
