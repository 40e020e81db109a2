"""The toy checker: sort by completion time, replay against a register. It is wrong.

Many first attempts at "is this history linearizable?" replay the operations
in the order they *finished*. That order is a legal candidate — it respects
real time, because if ``a`` returned before ``b`` was called then ``a`` also
returned before ``b`` returned — but it is only *one* candidate out of many.

* It rejects linearizable histories (false alarms): a slow write
  ``write(1) @[0,10]`` concurrent with a fast ``read -> 1 @[1,3]`` is fine
  (the write took effect at t=2), but sorted by completion the read comes
  first and sees the initial value.
* It never accepts a non-linearizable history — that direction is
  impossible for ``ok`` operations: since the completion order respects
  real time, a successful replay *is* a linearization, a witness that the
  history is linearizable. (It only "passes" bad histories if it is fed
  ops that did not happen, e.g. ``fail`` writes; this function drops them.)

So the toy checker is sound but incomplete; the real checker
(:func:`~consensus_lab.consistency.linearizability.check`) searches all
real-time-respecting orders.
"""

from __future__ import annotations

from .history import History, Op
from .models import Model, get_model


def naive_check(history: History | list[Op], model: Model | str = "register") -> bool:
    """True if replaying the ``ok`` ops in completion order is legal for ``model``.

    Each key is replayed separately; ``fail`` and ``info`` ops are ignored.
    """
    model = get_model(model)
    ops = [op for op in history if op.status == "ok"]
    for part in model.partition(ops):
        state = model.init()
        for op in sorted(part, key=lambda o: (o.ret, o.call, o.id)):
            ok, state = model.step(state, op)
            if not ok:
                return False
    return True
