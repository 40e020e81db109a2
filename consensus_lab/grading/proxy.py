"""The learner's module as the judge sees it: functions and classes that live in the oracle.

Theory of operation: :func:`proxy_module` builds a module object whose
attributes mirror the learner's file, as the oracle described it once
imported: each function is a :class:`RemoteFunction` (a call goes to the
oracle and its result comes back decoded), each constant is its decoded
value, each lab class the learner imported is the judge's own class, and
each class the exercise passes *by reference* (``VectorClock``) is a local
subclass of :class:`RemoteObject`: building one builds the learner's
object in the oracle, and every method, attribute and operator of it is a
call there. ``__file__`` is the learner's path as the judge knows it. A
check written for ``fn(module)`` runs unchanged against this module.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from consensus_lab.grading import codec
from consensus_lab.grading.oracle import Oracle


class RemoteFunction:
    """A module-level function of the learner's, run in the oracle."""

    def __init__(self, oracle: Oracle, name: str) -> None:
        self._oracle, self.__name__ = oracle, name
        self.__qualname__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._oracle.call(("function", self.__name__), args, kwargs)

    def __repr__(self) -> str:
        return f"<your function {self.__name__} (in the grading sandbox)>"

    def __copy__(self) -> RemoteFunction:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> RemoteFunction:
        return self


class RemoteObject:
    """An instance of a learner's class, living in the oracle; see the module doc."""

    _oracle_remote = True
    _oracle: Oracle
    _class_name: str
    _methods: frozenset[str]
    _handle: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._oracle.call(("new", cls._class_name), args, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Built in the oracle by ``__new__``; nothing to do here."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._methods:
            return _RemoteMethod(self, name)
        return self._oracle.call(("attribute", self._handle, name), (), {})

    def _op(self, name: str, *args: Any) -> Any:
        return self._oracle.call(("operator", self._handle, name), args, {})

    def __eq__(self, other: object) -> Any:
        return self._op("__eq__", other)

    def __ne__(self, other: object) -> Any:
        return self._op("__ne__", other)

    def __lt__(self, other: object) -> Any:
        return self._op("__lt__", other)

    def __le__(self, other: object) -> Any:
        return self._op("__le__", other)

    def __gt__(self, other: object) -> Any:
        return self._op("__gt__", other)

    def __ge__(self, other: object) -> Any:
        return self._op("__ge__", other)

    def __hash__(self) -> int:
        return int(self._op("__hash__"))

    def __str__(self) -> str:
        return str(self._op("__str__"))

    def __repr__(self) -> str:
        return str(self._op("__repr__"))

    def __bool__(self) -> bool:
        return self._op("__bool__") is True

    def __len__(self) -> int:
        return int(self._op("__len__"))

    def __contains__(self, item: object) -> bool:
        return self._op("__contains__", item) is True

    def __getitem__(self, key: Any) -> Any:
        return self._op("__getitem__", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._op("__setitem__", key, value)

    def __delitem__(self, key: Any) -> None:
        self._op("__delitem__", key)

    def __iter__(self) -> Any:
        return iter(self._op("__iter__"))

    def __copy__(self) -> Any:
        return self._op("__copy__")

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self._op("__deepcopy__")

    def __reduce__(self) -> Any:
        raise TypeError(f"your {self._class_name} lives in the grading sandbox; it cannot be "
                        "pickled here")


class _RemoteMethod:
    """A bound method of a :class:`RemoteObject`."""

    def __init__(self, obj: RemoteObject, name: str) -> None:
        self._obj, self.__name__ = obj, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._obj
        return obj._oracle.call(("method", obj._handle, self.__name__), args, kwargs)


def remote_class(oracle: Oracle, name: str, methods: list[str]) -> type[RemoteObject]:
    """A local stand-in for the learner's class ``name``."""
    return type(name, (RemoteObject,), {"_oracle": oracle, "_class_name": name,
                                        "_methods": frozenset(methods),
                                        "__module__": "consensus_lab.grading.proxy"})


def proxy_module(oracle: Oracle, path: Path) -> ModuleType:
    """The learner's module as seen from the judge (see the module doc)."""
    described = oracle.description
    module = ModuleType(f"judged_{oracle.exercise}")
    module.__file__ = str(path)
    for name in described.get("functions", []):
        setattr(module, str(name), RemoteFunction(oracle, str(name)))
    classes: dict[str, type[RemoteObject]] = {
        str(name): remote_class(oracle, str(name), [str(m) for m in methods])
        for name, methods in dict(described.get("classes", {})).items()
        if name in oracle.by_reference}
    oracle.remote_class = classes.__getitem__
    for name, cls in classes.items():
        setattr(module, name, cls)
    for name, (where, qualname) in dict(described.get("lab_classes", {})).items():
        if (where, qualname) in codec.VALUE_CLASSES:
            setattr(module, str(name), getattr(importlib.import_module(where), qualname))
    for name, data in dict(described.get("values", {})).items():
        try:
            setattr(module, str(name), codec.decode(bytes(data), oracle._resolve))
        except codec.RefusedValue:
            continue  # a constant the judge cannot accept is absent: the check says so
    return module
