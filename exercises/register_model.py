"""Exercise: the compare-and-set register's model (線性一致性) — write ``cas_step``.

A linearizability checker needs a *sequential specification*: what one copy
of the object does when operations arrive one at a time. Here it is a pure
step function, as in Knossos and Porcupine: ``cas_step(state, op)`` returns
``(ok, new_state)`` — ``ok`` says whether ``op``, with the output the client
saw, is a legal next step from ``state``. The checker
(``consensus_lab.consistency.check``) searches for an order of the history's
operations that respects real time and in which every step is legal.

The rules of the CAS register (one key; the state starts as ``None``, nil):

* ``read`` returning ``op.output``: legal iff ``op.output == state``; state unchanged.
  A read of ``None`` is legal only before the first write.
* ``write`` of ``op.value``: always legal; the state becomes ``op.value``.
* ``cas`` with ``op.value == (expected, new)`` and ``op.status == "ok"``:
  output ``True`` — legal iff ``expected == state``, the state becomes ``new``;
  output ``False`` (the compare failed) — legal iff ``expected != state``, state unchanged.
* ``cas`` with ``op.status == "info"`` (the client timed out: the outcome is
  unknown). The checker may leave such an op out entirely — it "never
  happened". When it *does* place it, the cas took effect: legal iff
  ``expected == state``, and the state becomes ``new``.

Keep it pure: never change ``state`` or ``op``, and return a hashable state
(the checker remembers the states it has explored). An ``Op`` has ``f``,
``value`` (the input), ``output`` (what came back), ``status`` (``"ok"`` or
``"info"``) and the interval ``call`` / ``ret``.

Part 2 (optional, for a deeper understanding): ``brute_force_linearizable``,
the definition of linearizability as code. For a *tiny* history of completed
(``ok``) operations, try every permutation; a permutation is a witness when it
respects real time — if ``a.ret < b.call`` (a returned before b was called),
``a`` must come before ``b`` — and every op is a legal ``step`` from the state
the ops before it left, starting at ``init``. Ops whose intervals overlap may
go in either order. ``itertools.permutations`` helps.

What to do: replace each ``raise NotImplementedError`` by your code (TODO).

Check your work with ``consensus-lab check register_model`` (or
``check("register_model")`` in notebook 01). The checks try each rule on
small examples, run the real checker with your model on hand-made histories
and on real Jepsen etcd histories (from Porcupine's test data) and compare
its verdicts with the expected ones, then compare your brute-force checker
with the real one on hundreds of seeded random tiny histories.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any

from consensus_lab.consistency import Op


def cas_step(state: Hashable, op: Op) -> tuple[bool, Hashable]:
    """Is ``op`` a legal next step from ``state``, and what is the state after it?"""
    # TODO: one rule per operation: read, write, cas (ok with output True or False, or info).
    raise NotImplementedError


def brute_force_linearizable(history: Iterable[Op],
                             step: Callable[[Any, Op], tuple[bool, Any]],
                             init: Any) -> bool:
    """True when some order of the ops respects real time and is a legal run of ``step``."""
    # TODO (optional part): try every permutation; keep one that respects real time and
    # whose every step is legal, starting from init.
    raise NotImplementedError
