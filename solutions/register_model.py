"""Exercise: the compare-and-set register's model (線性一致性) — reference solution.

A linearizability checker needs a *sequential specification*: what one copy
of the object does when operations arrive one at a time. Here it is a pure
step function, as in Knossos and Porcupine: ``cas_step(state, op)`` returns
``(ok, new_state)`` — ``ok`` says whether ``op``, with the output the client
saw, is a legal next step from ``state``.

The rules of the CAS register (one key; the state starts as ``None``, nil):

* ``read`` returning ``op.output``: legal iff ``op.output == state``; state unchanged.
* ``write`` of ``op.value``: always legal; the state becomes ``op.value``.
* ``cas`` with ``op.value == (expected, new)`` and ``op.status == "ok"``:
  output ``True`` — legal iff ``expected == state``, the state becomes ``new``;
  output ``False`` (the compare failed) — legal iff ``expected != state``, state unchanged.
* ``cas`` with ``op.status == "info"`` (the client timed out, outcome unknown):
  the checker already may leave it out entirely (it "never happened"); when it
  does place it, the cas *took effect*: legal iff ``expected == state``, and
  the state becomes ``new``.

Check with ``consensus-lab check register_model --answers solutions``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from itertools import permutations
from typing import Any

from consensus_lab.consistency import Op


def cas_step(state: Hashable, op: Op) -> tuple[bool, Hashable]:
    """Is ``op`` a legal next step from ``state``, and what is the state after it?"""
    if op.f == "read":
        return op.output == state, state
    if op.f == "write":
        return True, op.value
    if op.f == "cas":
        expected, new = op.value
        if op.status == "info" or op.output is True:
            return expected == state, new
        return expected != state, state
    raise ValueError(f"a CAS register has read, write and cas, got {op.f!r} in {op}")


def brute_force_linearizable(history: Iterable[Op],
                             step: Callable[[Any, Op], tuple[bool, Any]],
                             init: Any) -> bool:
    """True when some order of the ops respects real time and is a legal run of ``step``."""
    ops = list(history)
    return any(respects_real_time(order) and legal(order, step, init)
               for order in permutations(ops))


def respects_real_time(order: tuple[Op, ...]) -> bool:
    """No op is placed before one that returned before it was called."""
    return not any(later.ret < earlier.call
                   for i, earlier in enumerate(order) for later in order[i + 1:])


def legal(order: tuple[Op, ...], step: Callable[[Any, Op], tuple[bool, Any]],
          init: Any) -> bool:
    """Every op is a legal step from the state the ops before it left."""
    state = init
    for op in order:
        ok, state = step(state, op)
        if not ok:
            return False
    return True
