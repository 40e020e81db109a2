"""A deep copy for node state that shares what cannot change.

``copy.deepcopy`` copies every frozen message and log entry a node holds,
and spends most of its time deciding how; a model checker clones states
thousands of times a second. :func:`copy_state` makes the same deep copy
(aliasing kept through ``memo``, so two references to one object stay two
references to one copy) but shares immutable values: scalars, strings,
functions, classes, enum members, instances of frozen dataclasses (the
lab's messages and log entries: the style guide makes their fields
immutable) and tuples of those. Lists, dicts and sets are copied with a
C-speed shallow copy first and only their mutable items copied again
(dict keys and set items that are tuples are shared: being hashable, they
are immutable in practice).
Objects of plain classes (attributes in ``__dict__`` or ``__slots__``) are
rebuilt attribute by attribute; anything with copy rules of its own
(``__deepcopy__``, ``__reduce__``, ``__getstate__``...) goes to
``copy.deepcopy`` with the same memo.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from enum import Enum
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

Memo = dict[int, Any]
_Copier = Callable[[Any, Memo], Any]

#: Types whose instances are shared, never copied (grows as types are met).
SHARED: set[type] = {type(None), bool, int, float, complex, str, bytes, range, type,
                     FunctionType, BuiltinFunctionType}
_COPIERS: dict[type, _Copier] = {}  # per type: how to copy it (filled on first sight)
_SLOTS: dict[type, tuple[str, ...]] = {}


def copy_state(value: Any, memo: Memo) -> Any:
    """A deep copy of ``value`` sharing immutable parts (see the module docstring)."""
    kind = type(value)
    if kind in SHARED:
        return value
    copier = _COPIERS.get(kind)
    if copier is None:
        copier = _COPIERS[kind] = _copier_for(kind)
    return copier(value, memo)


def _copier_for(kind: type) -> _Copier:
    """Pick how to copy values of ``kind`` (called once per type)."""
    builtin: dict[type, _Copier] = {tuple: _copy_tuple, list: _copy_list, dict: _copy_dict,
                                    set: _copy_set, MethodType: _copy_method}
    if kind in builtin:
        return builtin[kind]
    # __dataclass_params__ is set by @dataclass; typeshed does not declare it
    frozen = dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
    if frozen or issubclass(kind, Enum | type | frozenset):
        SHARED.add(kind)
        return _share
    if _plain(kind):
        return _copy_object
    return copy.deepcopy  # copy rules of its own: let ``copy`` decide


def _plain(kind: type) -> bool:
    """True for a class whose instances are just their attributes (no copy rules)."""
    custom = ("__deepcopy__", "__copy__", "__getstate__", "__setstate__", "__reduce__",
              "__reduce_ex__")
    return (all(getattr(kind, name, None) is getattr(object, name, None) for name in custom)
            and (kind.__dictoffset__ != 0 or bool(_slots(kind))))


def _slots(kind: type) -> tuple[str, ...]:
    """Every slot of ``kind`` and its bases, but ``__dict__`` and ``__weakref__``."""
    names: list[str] = []
    for klass in kind.__mro__[:-1]:
        slots = getattr(klass, "__slots__", ())
        names.extend([slots] if isinstance(slots, str) else slots)
    return tuple(n for n in names if n not in ("__dict__", "__weakref__"))


def _share(value: Any, memo: Memo) -> Any:
    return value


def _copy_tuple(value: tuple[Any, ...], memo: Memo) -> Any:
    shared = SHARED
    for item in value:
        if type(item) not in shared:
            break
    else:
        return value  # only immutable items: the tuple itself is immutable
    items = [copy_state(item, memo) for item in value]
    for new, old in zip(items, value):  # noqa: B905 (same length)
        if new is not old:
            return tuple(items)
    return value


def _copy_list(value: list[Any], memo: Memo) -> Any:
    found = memo.get(id(value))
    if found is None:
        found = memo[id(value)] = list(value)
        shared = SHARED
        for i, item in enumerate(value):
            if type(item) not in shared:
                found[i] = copy_state(item, memo)
    return found


def _copy_dict(value: dict[Any, Any], memo: Memo) -> Any:
    found = memo.get(id(value))
    if found is None:
        shared = SHARED
        if all(type(k) in shared or type(k) is tuple for k in value):
            found = memo[id(value)] = dict(value)
            for k, v in value.items():
                if type(v) not in shared:
                    found[k] = copy_state(v, memo)
        else:  # keys that are objects: copy them too
            found = memo[id(value)] = {}
            for k, v in value.items():
                found[copy_state(k, memo)] = copy_state(v, memo)
    return found


def _copy_set(value: set[Any], memo: Memo) -> Any:
    found = memo.get(id(value))
    if found is None:
        shared = SHARED
        if all(type(item) in shared or type(item) is tuple for item in value):
            found = memo[id(value)] = set(value)
        else:
            found = memo[id(value)] = {copy_state(item, memo) for item in value}
    return found


def _copy_method(value: MethodType, memo: Memo) -> Any:
    return MethodType(value.__func__, copy_state(value.__self__, memo))


def _copy_object(value: Any, memo: Memo) -> Any:
    found = memo.get(id(value))
    if found is None:
        kind = type(value)
        found = memo[id(value)] = object.__new__(kind)
        slots = _SLOTS.get(kind)
        if slots is None:
            slots = _SLOTS[kind] = _slots(kind)
        for name in slots:
            if hasattr(value, name):
                object.__setattr__(found, name, copy_state(getattr(value, name), memo))
        if kind.__dictoffset__:
            target = found.__dict__
            shared = SHARED
            for k, v in vars(value).items():
                target[k] = v if type(v) in shared else copy_state(v, memo)
    return found
