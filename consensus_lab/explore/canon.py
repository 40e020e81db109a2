"""Symmetry reduction on world values: rename interchangeable nodes, keep one of each class.

Nodes that run the same code and start alike (Paxos's acceptors, Raft's
servers) are *interchangeable*: renaming them throughout a world — in
their slots, in every state and message that names them — gives a world
that behaves the same up to the renaming, so it breaks an invariant iff
the original does (our invariants never name a node of the group). The
search files every world under a *canonical* renaming of it and expands
each class once.

How a class is named. Each member of the group gets a colour that no
renaming changes: its state, storage and timers with every member's id
masked (or ``signature(state)``, cheaper when a protocol offers one).
Members are sorted by colour;
among members of equal colour every order is tried, each renaming is
applied, and the renamed world with the smallest hash is the class's
name. Two worlds of one class try the same set of renamed worlds, so they
get the same name. (Hash order is fine: only equality of names matters;
the search never iterates over names.)

Renaming is structural: strings equal to a member's id are replaced inside
tuples, frozensets, named tuples and frozen dataclasses; results are
remembered per renaming, so a message or state seen in many worlds is
renamed once. One convention keeps renamed states comparable: a tuple
holding only members' ids is a *set* of them, and a tuple of pairs whose
first items are members' ids is a *map* keyed by them (a node's peers,
Raft's ``match_index``), so both are sorted again after renaming. A
protocol that needs an ordered pair of node ids keeps it in a dataclass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterator, Sequence
from itertools import permutations, product
from typing import Any

from ..sim import ConfigError
from ..sim.world import Model, World, packet_key

Signature = Callable[[Any], Hashable]
Mapping_ = tuple[tuple[str, str], ...]

_ATOMS = (type(None), bool, int, float, bytes)
_FIELDS: dict[type, tuple[str, ...] | None] = {}  # frozen dataclass -> its field names


def _fields_of(kind: type) -> tuple[str, ...] | None:
    if kind not in _FIELDS:
        is_frozen = dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
        _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(kind)) if is_frozen
                         else None)
    return _FIELDS[kind]


class Renamer:
    """Rename node ids throughout a value, remembering every result."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.memos: dict[type, dict[Any, Any]] = {}  # per type: 1 == True, (1,) == a named tuple
        self.parts: dict[tuple[int, Any], Any] = {}  # (which part of a world, it) -> renamed

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.mapping.get(value, value)
        if kind in _ATOMS:
            return value
        memo = self.memos.get(kind)
        if memo is None:
            memo = self.memos[kind] = {}
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:
            raise ConfigError(f"symmetry needs hashable values, got a {kind.__name__}: "
                              f"{value!r}") from None
        renamed = self._rename(kind, value)
        memo[value] = renamed
        return renamed

    def _keyed_by_members(self, value: tuple[Any, ...]) -> bool:
        """Is ``value`` a sorted set of members, or a map (sorted pairs) keyed by them?"""
        members = self.mapping
        first = value[0]
        if type(first) is str:
            return all(type(v) is str and v in members for v in value)
        return all(type(v) is tuple and len(v) == 2 and type(v[0]) is str and v[0] in members
                   for v in value)

    def _rename(self, kind: type, value: Any) -> Any:
        if kind is tuple:
            renamed = [self(item) for item in value]
            if value and self._keyed_by_members(value):
                renamed.sort(key=_sort_key)  # a set or a map of members: keep it sorted
            return tuple(renamed)
        if kind is frozenset:
            return frozenset([self(item) for item in value])
        if issubclass(kind, tuple) and hasattr(kind, "_fields"):
            return kind._make([self(item) for item in value])  # type: ignore[attr-defined]
        names = _fields_of(kind)
        if names is None:
            return value  # enums, and values that cannot name a node
        changes = {name: self(getattr(value, name)) for name in names}
        copy: Any = object.__new__(kind)
        for name, item in changes.items():
            object.__setattr__(copy, name, item)
        return copy


class Symmetry:
    """The canonical name of a world's class under renamings of ``group``."""

    def __init__(self, model: Model, group: Sequence[str],
                 signature: Signature | None = None) -> None:
        unknown = [g for g in group if g not in model.index]
        if unknown or len(set(group)) != len(group) or len(group) < 2:
            raise ConfigError(f"symmetry group must be 2 or more distinct node ids of the "
                              f"model ({', '.join(model.ids)}), got {list(group)!r}")
        self.model = model
        self.group = tuple(group)
        self.signature = signature
        self.slots = tuple(sorted(self.group))
        self._mask = Renamer(dict.fromkeys(self.group, "*"))
        self._packet_colours: dict[Any, int] = {}  # packet -> hash of it, members masked
        self._own_colours: dict[tuple[Any, Any, Any], int] = {}
        self._renamers: dict[Mapping_, Renamer] = {}

    def canon(self, world: World) -> tuple[World, dict[str, str]]:
        """The class's name and the renaming that maps ``world`` to it."""
        candidates = list(self._candidates(world))
        if len(candidates) == 1:
            [mapping] = candidates
            return (world if _identity(mapping) else self.rename_world(world, mapping)), mapping
        best: tuple[int, World, dict[str, str]] | None = None
        for mapping in candidates:
            renamed = world if _identity(mapping) else self.rename_world(world, mapping)
            score = hash(renamed)
            if best is None or score < best[0]:
                best = (score, renamed, mapping)
        assert best is not None
        return best[1], best[2]

    def _candidates(self, world: World) -> Iterator[dict[str, str]]:
        """Renamings that sort members by colour, in every order within a colour."""
        colours = self.colours(world)
        ordered = sorted(self.group, key=colours.__getitem__)
        classes: list[list[str]] = []
        for member in ordered:
            if classes and colours[classes[-1][0]] == colours[member]:
                classes[-1].append(member)
            else:
                classes.append([member])
        if len(classes) == len(ordered):  # every colour differs: one renaming
            yield dict(zip(ordered, self.slots, strict=True))
            return
        for choice in product(*(permutations(c) for c in classes)):
            members = [m for part in choice for m in part]
            yield dict(zip(members, self.slots, strict=True))

    def colours(self, world: World) -> dict[str, tuple[bool, int]]:
        """What no renaming changes about each member: its state, storage and timers and
        the messages to and from it, every member's id masked (or ``signature(state)``
        with the messages); as hashes (only equality and one fixed order matter)."""
        group = self.group
        packet_colour = self._packet_colours
        inbox: dict[str, list[int]] = {m: [] for m in group}
        outbox: dict[str, list[int]] = {m: [] for m in group}
        for packet in world.net:
            dst, src = packet[0], packet[1]
            if dst in inbox or src in outbox:
                masked = packet_colour.get(packet)
                if masked is None:
                    masked = packet_colour[packet] = hash(self._mask(packet))
                if dst in inbox:
                    inbox[dst].append(masked)
                if src in outbox:
                    outbox[src].append(masked)
        found: dict[str, tuple[bool, int]] = {}
        index = self.model.index
        for member in group:
            i = index[member]
            state = world.states[i]
            own = self._own_colour(state, world.stored[i], world.timers[i])
            found[member] = (state is not None, hash((own, tuple(sorted(inbox[member])),
                                                      tuple(sorted(outbox[member])))))
        return found

    def _own_colour(self, state: Any, stored: Any, timers: Any) -> int:
        """The renaming-free hash of one member's state, storage and timers (remembered)."""
        key = (state, stored, timers)
        found = self._own_colours.get(key)
        if found is None:
            mask = self._mask
            own = (self.signature(state) if self.signature is not None and state is not None
                   else (mask(state), mask(stored), timers))
            found = self._own_colours[key] = hash(own)
        return found

    def renamer(self, mapping: dict[str, str]) -> Renamer:
        """The remembering renamer of ``mapping``."""
        key = tuple(sorted(mapping.items()))
        found = self._renamers.get(key)
        if found is None:
            found = self._renamers[key] = Renamer(mapping)
        return found

    def rename_world(self, world: World, mapping: dict[str, str]) -> World:
        """``world`` with every member renamed: slots moved, contents renamed, net re-sorted.

        Each part (states, storage, timers, net, ghost) is renamed as a whole and
        remembered: most parts recur in many worlds.
        """
        rename = self.renamer(mapping)
        parts = rename.parts
        found = []
        for kind, part in enumerate(world):
            key = (kind, part)
            done = parts.get(key)
            if done is None:
                done = parts[key] = self._rename_part(kind, part, mapping, rename)
            found.append(done)
        return World(*found)

    def _rename_part(self, kind: int, part: Any, mapping: dict[str, str],
                     rename: Renamer) -> Any:
        if kind == 3:  # net: every packet renamed, then in the canonical order again
            return tuple(sorted((rename(p) for p in part), key=packet_key))
        if kind == 4:  # ghost
            return rename(part)
        model = self.model
        moved: list[Any] = [None] * len(model.ids)
        for i, node in enumerate(model.ids):
            item = part[i]
            moved[model.index[mapping.get(node, node)]] = item if kind == 2 else rename(item)
        return tuple(moved)


def _sort_key(item: Any) -> tuple[str, int]:
    """By id; items whose ids were masked alike, by their hash (a fixed order that no
    renaming changes, so masked values are equal for renamed worlds)."""
    if type(item) is tuple:
        return (item[0], hash(item[1]))
    return (item, 0)


def _identity(mapping: dict[str, str]) -> bool:
    return all(k == v for k, v in mapping.items())
