"""What the simulator holds per node: a :class:`Node` (and :func:`freeze` for state keys).

A node of the lab is a :class:`~.step.StepNode`: a step protocol and its
current state value (see :mod:`.step`). :class:`Node` is what every node
object has in common, whatever drives it: its id, its sorted peers, and a
view of its state for tables, diagrams and traces. It never touches a
socket, a clock or a global random generator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from enum import Enum
from types import BuiltinMethodType, FunctionType, MappingProxyType, MethodType
from typing import Any


class Node:
    """Base class of every simulated node (subclass :class:`~.step.StepNode`)."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        self.node_id = node_id
        self.peers = tuple(sorted(peers))

    def view(self) -> dict[str, Any]:
        """A small dict of the state worth showing in a table or diagram."""
        return {}

    def describe(self) -> str:
        """A one-line label of the node's state (used in traces and diagrams)."""
        return ", ".join(f"{k}={v}" for k, v in self.view().items())

    def state_key(self) -> Hashable:
        """A canonical, hashable snapshot of the attributes (see :func:`freeze`).

        Every attribute but ``node_id`` and ``peers``, which never change
        (the model checker files the key under the node's id anyway).

        The model checker (:mod:`consensus_lab.explore`) merges two states
        whose nodes have equal keys, so equal keys must mean "behaves the
        same from here on". A subclass may override this to leave out
        fields that never influence behaviour (statistics, caches), which
        lets more states merge; leaving out a field that does matter would
        hide bugs.
        """
        state = dict(vars(self))
        state.pop("node_id", None)
        state.pop("peers", None)
        return freeze(state)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.node_id}>"


# --------------------------------------------------------------- freeze
_Freezer = Callable[[Any], Hashable]
_FREEZERS: dict[type, _Freezer] = {}  # per type: how to freeze it (filled on first sight)
_ATOMIC = (type(None), bool, int, float, complex, str, bytes, range, type)


def freeze(value: Any) -> Hashable:
    """A hashable value equal for equal states, for comparing and hashing node state.

    Immutable scalars stay as they are; tuples and lists become tuples,
    sets frozensets, dicts frozensets of ``(key, value)`` pairs (order
    ignored, as ``==`` on dicts ignores it); hashable frozen dataclasses
    and enum members stay as they are; a method becomes its qualified name
    (``RaftNode._step_leader``: which handler is installed, not whose);
    any other object becomes its class name with its frozen attributes
    (``__dict__`` and ``__slots__``). Cyclic structures are not supported.
    """
    kind = type(value)
    freezer = _FREEZERS.get(kind)
    if freezer is None:
        freezer = _FREEZERS[kind] = _freezer_for(kind)
    return freezer(value)


def _freezer_for(kind: type) -> _Freezer:
    """Pick how to freeze values of ``kind`` (called once per type)."""
    if issubclass(kind, _ATOMIC) or issubclass(kind, Enum):
        return _same
    if issubclass(kind, tuple | list):
        return _freeze_sequence
    if issubclass(kind, set | frozenset):
        return _freeze_set
    if issubclass(kind, dict | MappingProxyType):
        return _freeze_mapping
    if issubclass(kind, MethodType | FunctionType | BuiltinMethodType):
        return _freeze_callable
    # __dataclass_params__ is set by @dataclass; typeshed does not declare it
    if dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return _freeze_frozen_dataclass
    return _freeze_object


def _same(value: Any) -> Hashable:
    return value  # type: ignore[no-any-return]  # hashable: its type was checked (a cast costs a call)


def _freeze_sequence(value: Any) -> Hashable:
    return tuple([freeze(item) for item in value])


def _freeze_set(value: Any) -> Hashable:
    return frozenset([freeze(item) for item in value])


def _freeze_mapping(value: Any) -> Hashable:
    return frozenset([(freeze(k), freeze(v)) for k, v in value.items()])


def _freeze_callable(value: Any) -> Hashable:
    function = getattr(value, "__func__", value)
    return ("callable", getattr(function, "__qualname__", repr(function)))


def _freeze_frozen_dataclass(value: Any) -> Hashable:
    try:
        hash(value)
    except TypeError:  # a frozen dataclass holding a list or a dict
        return _freeze_object(value)
    return value  # type: ignore[no-any-return]  # hash() just succeeded


def _freeze_object(value: Any) -> Hashable:
    fields = dict(getattr(value, "__dict__", {}))
    for klass in type(value).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                fields[slot] = getattr(value, slot)
    if not fields and not hasattr(value, "__dict__"):
        raise TypeError(f"cannot freeze a {type(value).__name__}: it has no attributes to "
                        "compare; override Node.state_key() to describe the state yourself")
    return (type(value).__qualname__, _freeze_mapping(fields))
