"""Sequential specifications as pure step functions (Porcupine / Knossos).

A model says what one object does when operations run one at a time:
``init()`` is the starting state and ``step(state, op) -> (ok, new_state)``
says whether ``op`` (with its recorded output) is legal in ``state`` and what
the state becomes. Steps never mutate; states are hashable so a checker can
memoise ``(linearized ops, state)``.

``read_only(op)`` marks ops that never change the state in any state where
they are legal (reads, a ``cas`` whose compare failed). The checker uses it
to cut its search: a read-only op that is legal now can go next without
losing any linearization (see :mod:`.linearizability`).

``returns_state(op)`` marks read-only ops that are legal exactly when the
state equals ``op.output`` (plain reads). The checker then indexes them by
the value they returned and finds the reads legal in a new state with one
dictionary look-up instead of one step per read.

``resets(op, target)`` and ``reachable(state, target)`` let the checker see
a dead end early: while a plain read of ``target`` is pending, only ops
called before it returned can run first; if none of them ``resets`` the
state toward ``target`` whatever it was (default: any op that is not
read-only) and ``target`` is not ``reachable`` from ``state`` by the others
(default: never), the read can never become legal. On a register only a
write of ``target`` (or a cas to it) helps; on ``kv`` a put of a prefix of
``target`` does, and appends only grow the string, so ``target`` must start
with the current value.

``partition(ops)`` splits a history into independent sub-histories
(P-compositionality, Herlihy & Wing 1990 "locality"): a history of many
keys is linearizable iff each key's sub-history is, which keeps the search
small. All three models here treat each key as its own object.

``explained(op, others)`` says whether the value ``op`` observed could come
from the initial state or from one of ``others`` (ops that change the state).
The culprit shrinker uses it to avoid "orphans": a read of a value that no
kept op wrote is illegal for a trivial reason and explains nothing.

**Siblings.** An AP store with vector clocks (:mod:`consensus_lab.stores`)
answers a read with *every* concurrent value (a ``Versioned``, anything with
a ``values`` tuple), and takes writes as a ``Write`` (a ``value`` plus the
``context`` it read). :func:`plain` unwraps both before a check: a read
that returned no sibling read the initial ``None``, one sibling reads as
that value, and two or more siblings become :class:`Siblings`, which
equals no state — a register holds one value at a time, so a read that saw
two concurrent values is itself evidence that the store is not
linearizable (Herlihy & Wing's histories have one return value per op).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .history import READS, Op

State = Hashable


def by_key(ops: Sequence[Op]) -> list[list[Op]]:
    """One group per key, keys in order of first appearance."""
    groups: dict[Any, list[Op]] = {}
    for op in ops:
        group = groups.get(op.key)
        if group is None:
            groups[op.key] = [op]
        else:
            group.append(op)
    return list(groups.values())


def _reads_only(op: Op) -> bool:
    return op.f in READS


def _always(op: Op, others: Sequence[Op]) -> bool:
    return True


def _never(op: Op) -> bool:
    return False


def _unreachable(state: State, target: State) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class Model:
    """A named sequential specification (see the module docstring for each field)."""

    name: str
    init: Callable[[], State]
    step: Callable[[State, Op], tuple[bool, State]]
    partition: Callable[[Sequence[Op]], list[list[Op]]] = by_key
    describe: Callable[[State], str] = repr
    read_only: Callable[[Op], bool] = _reads_only
    returns_state: Callable[[Op], bool] = _never
    resets: Callable[[Op, State], bool] | None = None  # None: every op that is not read-only
    reachable: Callable[[State, State], bool] = _unreachable
    explained: Callable[[Op, Sequence[Op]], bool] = _always


@dataclass(frozen=True, slots=True, repr=False)
class Siblings:
    """A read that returned several concurrent values (siblings); it equals no single state."""

    values: tuple[Any, ...]

    def __repr__(self) -> str:
        return "{" + ", ".join(repr(v) for v in self.values) + "}"

    __str__ = __repr__


def plain(op: Op) -> Op:
    """``op`` with a siblings store's ``Write`` input and ``Versioned`` output unwrapped.

    Returns ``op`` itself when there is nothing to unwrap.
    """
    value, output = op.value, op.output
    if hasattr(value, "context") and hasattr(value, "value"):
        value = value.value
    values = getattr(output, "values", None)
    if op.f in READS and isinstance(values, tuple):
        output = None if not values else values[0] if len(values) == 1 else Siblings(values)
    if value is op.value and output is op.output:
        return op
    return replace(op, value=value, output=output)


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


def _cas_read_only(op: Op) -> bool:
    return op.f == "read" or (op.f == "cas" and op.status == "ok" and op.output is False)


def _register_needs(op: Op) -> tuple[bool, Any]:
    """(does op's legality depend on the state holding one value, which value)."""
    if op.f == "read":
        return True, op.output
    if op.f == "cas" and (op.status == "info" or op.output):
        return True, op.value[0]
    return False, None


def _register_written(op: Op) -> Any:
    return op.value[1] if op.f == "cas" else op.value


def _register_resets(op: Op, target: State) -> bool:
    """Only a write of ``target`` (or a cas that may set it) can make a read of it legal."""
    return op.f in ("write", "cas") and _register_written(op) == target


def _register_explained(op: Op, others: Sequence[Op]) -> bool:
    """A read of ``v`` (or a successful cas expecting ``v``) needs ``v`` initial or written."""
    written = [_register_written(w) for w in others if w.f in ("write", "cas")]
    if op.f == "cas" and op.output is False and op.status == "ok":
        # the compare failed: the value was not the expected one; nil needs some write first
        return op.value[0] is not None or any(v is not None for v in written)
    needs, value = _register_needs(op)
    if not needs or value is None:
        return True
    if isinstance(value, Siblings):
        return all(v is None or v in written for v in value.values)
    return value in written


def _kv_step(state: State, op: Op) -> tuple[bool, State]:
    f = op.f
    if f == "get":
        return op.output == state, state
    if f == "put":
        return True, op.value
    if f == "append":
        return True, state + op.value
    raise ValueError(f"kv supports get/put/append, got {op.f!r} in {op}")


def _kv_explained(op: Op, others: Sequence[Op]) -> bool:
    """A get of ``s`` needs ``s`` built from the kept ops: empty or a put's value, followed
    by appended values (each may be used again: an approximation, enough to avoid orphans)."""
    if op.f != "get" or not op.output:
        return True
    if not isinstance(op.output, str):
        return False
    puts = {w.value for w in others if w.f == "put" and isinstance(w.value, str)}
    appends = {w.value for w in others
               if w.f == "append" and isinstance(w.value, str) and w.value}
    out = op.output
    todo = [0] + [len(p) for p in puts if out.startswith(p)]  # prefixes the kept ops build
    built = set(todo)
    while todo:
        start = todo.pop()
        for a in appends:
            end = start + len(a)
            if end not in built and out.startswith(a, start):
                built.add(end)
                todo.append(end)
    return len(out) in built


#: A read/write register per key; every key starts as ``None`` (nil).
register = Model("register", lambda: None, _register_step, returns_state=_reads_only,
                 resets=_register_resets, explained=_register_explained)
#: read/write/compare-and-set per key, starting at nil as in Porcupine's etcd
#: tests: a read of nil succeeds only before the first write; ``cas`` with
#: output ``False`` asserts the compare failed.
cas_register = Model("cas-register", lambda: None, _cas_step, read_only=_cas_read_only,
                     returns_state=_reads_only, resets=_register_resets,
                     explained=_register_explained)
#: get/put/append per key; every key starts as the empty string (Porcupine's kv model).
def _kv_resets(op: Op, target: State) -> bool:
    return (op.f == "put" and isinstance(target, str) and isinstance(op.value, str)
            and target.startswith(op.value))


def _kv_reachable(state: State, target: State) -> bool:
    """Appends only grow the string: ``target`` must start with ``state``."""
    return isinstance(target, str) and isinstance(state, str) and target.startswith(state)


kv = Model("kv", lambda: "", _kv_step, returns_state=_reads_only, resets=_kv_resets,
           reachable=_kv_reachable, explained=_kv_explained)

MODELS = {m.name: m for m in (register, cas_register, kv)}


def get_model(name: str | Model) -> Model:
    """A model by name (``register``, ``cas-register``, ``kv``) or the model itself."""
    if isinstance(name, Model):
        return name
    try:
        return MODELS[name.replace("_", "-")]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown model {name!r}; choose one of {sorted(MODELS)}") from None
