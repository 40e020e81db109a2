"""Sequential specifications as pure step functions (Porcupine / Knossos).

A model says what one object does when operations run one at a time:
``init()`` is the starting state and ``step(state, op) -> (ok, new_state)``
says whether ``op`` (with its recorded output) is legal in ``state`` and what
the state becomes. Steps never mutate; states are hashable so a checker can
memoise ``(linearized ops, state)``.

``partition(ops)`` splits a history into independent sub-histories
(P-compositionality, Herlihy & Wing 1990 "locality"): a history of many
keys is linearizable iff each key's sub-history is, which keeps the search
small. All three models here treat each key as its own object.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from .history import Op

State = Hashable


def by_key(ops: Sequence[Op]) -> list[list[Op]]:
    """One group per key, keys in order of first appearance."""
    groups: dict[Any, list[Op]] = {}
    for op in ops:
        groups.setdefault(op.key, []).append(op)
    return list(groups.values())


@dataclass(frozen=True, slots=True)
class Model:
    """A named sequential specification."""

    name: str
    init: Callable[[], State]
    step: Callable[[State, Op], tuple[bool, State]]
    partition: Callable[[Sequence[Op]], list[list[Op]]] = by_key
    describe: Callable[[State], str] = repr


def _register_step(state: State, op: Op) -> tuple[bool, State]:
    f = op.f
    if f == "read":
        return op.output == state, state
    if f == "write":
        return True, op.value
    raise ValueError(f"register supports read/write, got {op.f!r} in {op}")


def _cas_step(state: State, op: Op) -> tuple[bool, State]:
    f = op.f
    if f == "read":
        return op.output == state, state
    if f == "write":
        return True, op.value
    if f == "cas":
        expected, new = op.value
        if op.status == "info":  # outcome unknown: only the successful case changes anything
            return expected == state, new
        if op.output:
            return expected == state, new
        return expected != state, state
    raise ValueError(f"cas-register supports read/write/cas, got {op.f!r} in {op}")


def _kv_step(state: State, op: Op) -> tuple[bool, State]:
    f = op.f
    if f == "get":
        return op.output == state, state
    if f == "put":
        return True, op.value
    if f == "append":
        return True, state + op.value
    raise ValueError(f"kv supports get/put/append, got {op.f!r} in {op}")


#: A read/write register per key; every key starts as ``None`` (nil).
register = Model("register", lambda: None, _register_step)
#: read/write/compare-and-set per key, starting at nil as in Porcupine's etcd
#: tests: a read of nil succeeds only before the first write; ``cas`` with
#: output ``False`` asserts the compare failed.
cas_register = Model("cas-register", lambda: None, _cas_step)
#: get/put/append per key; every key starts as the empty string (Porcupine's kv model).
kv = Model("kv", lambda: "", _kv_step)

MODELS = {m.name: m for m in (register, cas_register, kv)}


def get_model(name: str | Model) -> Model:
    """A model by name (``register``, ``cas-register``, ``kv``) or the model itself."""
    if isinstance(name, Model):
        return name
    try:
        return MODELS[name.replace("_", "-")]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODELS)}") from None
