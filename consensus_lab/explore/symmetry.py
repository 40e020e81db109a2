"""Symmetry reduction: states that differ only by a renaming of alike nodes are one.

Three Paxos acceptors run the same code and start alike, so a state in
which a1 promised ballot 1.p2 and a2 did not is, for every property that
does not name acceptors, the same as the state in which a2 promised and a1
did not. Exploring one state per class cuts the state space by up to the
number of renamings (3! = 6 for three acceptors); TLC's SYMMETRY and
Murφ's scalarsets do the same.

How a class is named
--------------------
The key of a state (its fingerprint, see :meth:`Simulation.fingerprint`)
names nodes by their id strings only, so renaming the members of the group
in the key renames them in the state. Each member gets a *colour* computed
without its name: its own state key and stored state, its live timers,
and the messages it sends and receives (exactly those the key holds).
Members are put in the order of their colours and renamed to the group's
ids in that order; members with equal colours can go either way, so every
order among them is tried and the smallest hash wins. Two states related by a renaming get the same
colours in renamed order, hence the same candidates, hence the same
result; two states that are not related never get equal keys, because a
renaming is one-to-one (the seen-set compares keys, or their 64-bit
hashes).

What the user promises by naming a group: the members are interchangeable
— same code, same configuration, treated alike by every other node and by
the invariants — and the state refers to a member only by its id (not, say,
by its position in a list of ids). A renaming that misses a reference can
only keep symmetric states apart, but a state that encodes identities in
another way could be merged with one that is not equivalent.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Hashable, Iterator, Mapping, Sequence
from itertools import permutations, product
from typing import Any

from ..sim import ConfigError, Simulation
from ..sim.events import DELIVER
from ..sim.snapshot import freeze_stored

_BLANK = "\x00member"  # stands for "the member being coloured"
_OTHER = "\x00other"  # any other member of the group


def check_group(sim: Simulation, group: Sequence[str]) -> tuple[str, ...]:
    """``group`` as a tuple of known, distinct node ids (at least two)."""
    members = tuple(group)
    unknown = [m for m in members if m not in sim.node_ids]
    if unknown:
        raise ConfigError(f"symmetry names unknown node {unknown[0]!r}; nodes: "
                          f"{', '.join(sim.node_ids)}")
    if len(set(members)) != len(members) or len(members) < 2:
        raise ConfigError(f"a symmetry group needs two or more distinct nodes, got {members}")
    return members


class Canonicalizer:
    """Maps a state's key to the key of its class's representative (see module doc)."""

    def __init__(self, group: tuple[str, ...]) -> None:
        self.group = group
        self._renamed: dict[tuple[Hashable, Hashable], Hashable] = {}  # frozen values renamed

    def __call__(self, sim: Simulation, key: Hashable, ignore: Collection[int] = ()) -> int:
        """The hash of the representative's key (the smallest over tied orders).

        ``ignore``: the ids of events the key leaves out (the colours must
        see exactly what the key holds, or equal keys could get different
        representatives).
        """
        best: int | None = None
        for mapping in self._candidates(sim, ignore):
            value = hash(self.rename(key, mapping, tuple(mapping.items())))
            if best is None or value < best:
                best = value
        assert best is not None
        return best

    # ------------------------------------------------------------ colours
    def _candidates(self, sim: Simulation, ignore: Collection[int]) -> Iterator[dict[str, str]]:
        colours = self.colours(sim, ignore)
        ordered = sorted(self.group, key=lambda m: hash(colours[m]))
        classes: list[list[str]] = []
        for member in ordered:
            if classes and colours[classes[-1][0]] == colours[member]:
                classes[-1].append(member)
            else:
                classes.append([member])
        for choice in product(*(permutations(c) for c in classes)):
            order = [m for part in choice for m in part]
            yield dict(zip(order, self.group, strict=True))

    def colours(self, sim: Simulation, ignore: Collection[int] = ()) -> dict[str, Hashable]:
        """Each member's colour: what it is and what it exchanges, without names."""
        members = set(self.group)
        blank = {m: {m: _BLANK, **{o: _OTHER for o in members if o != m}} for m in members}
        tags = {m: (_BLANK, m) for m in members}
        traffic: dict[str, Counter[Hashable]] = {m: Counter() for m in members}
        for _time, _prio, seq, kind, node, data in sim._heap:
            if kind != DELIVER or seq in ignore:
                continue
            src = data[0]
            for end in {node, src} & members:
                traffic[end][self.rename((node, src, data[1]), blank[end], tags[end])] += 1
        colours: dict[str, Hashable] = {}
        for m in members:
            node = sim.nodes[m]
            own = node.state_key() if node is not None else None
            stored = sim._storage[m]  # what the key holds: fingerprint's own form
            colours[m] = (self.rename(own, blank[m], tags[m]),
                          self.rename(freeze_stored(stored), blank[m], tags[m]),
                          frozenset(sim._timers[m]), frozenset(traffic[m].items()))
        return colours

    # ------------------------------------------------------------ renaming
    def rename(self, value: Any, mapping: Mapping[str, str], tag: Hashable) -> Any:
        """``value`` with every string in ``mapping`` replaced (tuples, sets, frozen
        dataclasses looked into; other values kept). Results are remembered per
        ``tag`` (which must stand for ``mapping``): states share most parts."""
        kind = type(value)
        if kind is str:
            return mapping.get(value, value)
        if kind in _PLAIN:
            return value
        cache = self._renamed
        try:
            found = cache.get((tag, value))
        except TypeError:  # unhashable: rename without remembering
            return self._rename_parts(kind, value, mapping, tag)
        if found is None:
            found = self._rename_parts(kind, value, mapping, tag)
            if len(cache) > _CACHE_LIMIT:
                cache.clear()
            cache[(tag, value)] = found
        return found

    def _rename_parts(self, kind: type, value: Any, mapping: Mapping[str, str],
                      tag: Hashable) -> Any:
        if kind is tuple:
            return tuple([self.rename(v, mapping, tag) for v in value])
        if kind is frozenset:
            return frozenset([self.rename(v, mapping, tag) for v in value])
        fields = _dataclass_fields(kind)
        if fields is None:
            return value
        changes = {}
        for name in fields:
            old = getattr(value, name)
            new = self.rename(old, mapping, tag)
            if new is not old and new != old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value


_PLAIN = frozenset({int, float, bool, type(None), bytes, complex})
_CACHE_LIMIT = 500_000
_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _dataclass_fields(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type (None for other types), remembered."""
    if kind not in _FIELDS:
        is_dataclass = dataclasses.is_dataclass(kind)
        _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(kind)) if is_dataclass else None
    return _FIELDS[kind]
