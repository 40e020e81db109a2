"""Sequential consistency for small histories (Lamport 1979), by brute-force search.

A history is *sequentially consistent* if its operations fit one total order
that (1) keeps each process's own operations in its program order and (2) is
a legal run of the model. Unlike linearizability, real time *between*
processes does not matter: a read may return a stale value long after
another process's write completed, as long as every process sees one
agreed order of events.

Program order is each process's ops sorted by ``call`` (then id). The search
is a depth-first walk over the per-process queues: a node is the tuple of
how far each queue has been consumed, plus the model state; the next op is
the head of any queue whose model step is legal. Nodes already explored are
memoised on ``(positions, state)`` (a node reached twice cannot succeed the
second time). ``info`` ops are optional: a queue's ``info`` head may also be
skipped (it never took effect). ``fail`` ops and ``info`` reads are dropped
first (:meth:`History.checkable`).

Sequential consistency is *not* local (Herlihy & Wing 1990): every key can
be sequentially consistent on its own while the whole history is not (see the
two-key "Dekker" history in the tests). So, unlike :func:`check`, this
search does not split by key; the state is the tuple of every key's state.
That, and the factorial worst case, is why it refuses histories of more than
``max_ops`` operations: it is for teaching-size examples.
"""

from __future__ import annotations

from typing import Any

from .history import History, Op
from .linearizability import Result
from .models import Model, get_model


def _program_order(ops: list[Op]) -> list[list[Op]]:
    """One queue per process (processes in order of first call), each sorted by call."""
    queues: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        queues.setdefault(op.process, []).append(op)
    return list(queues.values())


def check_sequential(history: History | list[Op], model: Model | str = "register",
                     max_ops: int = 12) -> Result:
    """Is ``history`` sequentially consistent with respect to ``model``?

    Returns a :class:`Result`: verdict ``ok`` with ``witness`` (the ops in one
    legal order that keeps every process's program order; skipped ``info``
    ops are left out), or ``illegal`` with ``culprit`` = all the ops checked
    (there is no cheap smaller certificate) and an explanation naming how far
    the best attempt got and which ops could not go next.

    Raises ``ValueError`` if more than ``max_ops`` operations remain after
    dropping ``fail`` ops (and ``info`` reads, which constrain nothing).
    """
    model = get_model(model)
    if not isinstance(history, History):
        history = History(list(history))
    ops = history.checkable()
    if len(ops) > max_ops:
        raise ValueError(f"check_sequential searches all interleavings and accepts at most "
                         f"max_ops={max_ops} operations; this history has {len(ops)}")
    queues = _program_order(ops)
    keys: dict[Any, int] = {}
    for op in ops:
        keys.setdefault(op.key, len(keys))
    init = model.init()
    start = (tuple(0 for _ in queues), tuple(init for _ in keys))
    seen: set[tuple[tuple[int, ...], tuple[Any, ...]]] = set()
    path: list[Op] = []
    best: list[Any] = [-1, [], []]  # ops placed, that path, the heads that could not go next
    nodes = 0

    def dfs(positions: tuple[int, ...], states: tuple[Any, ...]) -> bool:
        nonlocal nodes
        nodes += 1
        if all(p == len(q) for p, q in zip(positions, queues, strict=True)):
            return True
        if (positions, states) in seen:
            return False
        seen.add((positions, states))
        heads = []
        for n, queue in enumerate(queues):
            if positions[n] == len(queue):
                continue
            op = queue[positions[n]]
            heads.append(op)
            nxt = positions[:n] + (positions[n] + 1,) + positions[n + 1:]
            k = keys[op.key]
            ok, new = model.step(states[k], op)
            if ok:
                path.append(op)
                if dfs(nxt, states[:k] + (new,) + states[k + 1:]):
                    return True
                path.pop()
            if op.status == "info" and dfs(nxt, states):  # it never took effect
                return True
        if len(path) > best[0]:
            best[:] = [len(path), list(path), heads]
        return False

    if dfs(*start):
        return Result("ok", witness=list(path), explored=nodes, explanation=(
            f"sequentially consistent: the {len(path)} operations of {len(queues)} processes "
            f"fit one order that keeps each process's program order and the {model.name} model"))
    placed, prefix, stuck = best
    got = ("no operation can go first" if placed == 0 else
           f"the longest legal order found places {placed} operations (last: {prefix[-1]})")
    return Result("illegal", culprit=sorted(ops, key=lambda o: (o.process, o.call, o.id)),
                  explored=nodes, explanation=(
                      f"not sequentially consistent: no order of the {len(ops)} operations "
                      f"that keeps each process's program order is legal for the "
                      f"{model.name} model; {got}, and none of the next ops "
                      f"({'; '.join(str(op) for op in stuck)}) can extend it"))
