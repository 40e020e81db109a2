"""Linearizability checking: Wing & Gong's search with Lowe's memo (as in Porcupine).

Theory of operation. A history is linearizable if its operations can be put
in one total order that (1) respects real time — if ``a`` returned before
``b`` was called, ``a`` comes first — and (2) is a legal run of the model.
We search for that order depth first. Sort the ops by call time. In a given
search node some ops are already linearized (a Python int used as a
bitset); the *earliest pending return* is the smallest ``ret`` of the ops
not yet placed. An op may go next only if its ``call`` is no later than that
return — otherwise the op that returns first would have to come after an op
that started after it finished. Try each such op whose model step is legal,
recurse, backtrack on failure. Lowe's improvement: remember every
``(bitset, model state)`` already explored; reaching one again cannot
succeed, so the search is cut there. That memo is what makes the Jepsen etcd
histories tractable.

Unknown outcomes (``info``) have ``ret = inf``: they never bound the
others, and they are *optional* — the search succeeds once every ``ok`` op
is placed, whether or not the ``info`` ones took effect. ``fail`` ops and
``info`` reads are dropped before the search (they constrain nothing).

Each key is checked on its own (P-compositionality, see ``models``); the
first illegal key stops the check. For an illegal key the culprit is a
*prefix* found for free by the failed search: the search records the first op
(in return order) that no path could place, returning at ``T``; the ops
called by ``T`` — those returned by then, plus the pending writes made
optional — are already not linearizable (see ``_prefix`` for why). So a
failure is explained by the history up to its first impossible op, not by
the whole file. The prefix is sound but not minimal.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from typing import Any

from .history import READS, History, Op
from .models import Model, get_model

VERDICTS = ("ok", "illegal", "unknown")


@dataclass
class Result:
    """A verdict, with evidence.

    ``witness``: the ops in linearization order (``ok``), all keys
    concatenated. ``culprit``: the smallest set of ops found that cannot be
    linearized (``illegal``): the history up to the first op no order could
    place (see the module docstring), sorted by call. ``explanation``: one sentence for a human.
    """

    verdict: str
    witness: list[Op] = field(default_factory=list)
    culprit: list[Op] = field(default_factory=list)
    explanation: str = ""
    key: Any = None
    explored: int = 0  # search nodes visited (all keys)

    @property
    def linearizable(self) -> bool | None:
        """True, False, or None when unknown."""
        return {"ok": True, "illegal": False}.get(self.verdict)

    def __bool__(self) -> bool:
        return self.verdict == "ok"


class _Timeout(Exception):
    pass


def _search(ops: list[Op], model: Model,
            deadline: float | None) -> tuple[list[int] | None, int, float]:
    """DFS over minimal ops; ``ops`` sorted by call.

    Returns (order as indices, or None if there is none; nodes explored; the
    return time of the first op, by return time, that no path could place).

    Op ``i`` is bit ``i``. Because ops are sorted by call, the ops called no
    later than a time ``t`` are a prefix, so "may go next" is the mask
    ``~bits & window[r]`` — no scanning of ops already placed.
    """
    n = len(ops)
    if n == 0:
        return [], 0, math.inf
    calls = [op.call for op in ops]
    by_ret = sorted(range(n), key=lambda i: ops[i].ret)
    by_ret.append(n)  # sentinel: bit n is never set
    window = [(1 << bisect_right(calls, ops[i].ret)) - 1 for i in by_ret[:n]] + [(1 << n) - 1]
    required = 0
    for i, op in enumerate(ops):
        if op.ret != math.inf:
            required |= 1 << i
    step = model.step
    # per state: [ops already stepped in it (mask), those legal (mask), {op index: next state}].
    # Steps are taken lazily (DFS usually needs only the first legal candidate) and cached,
    # since register states recur on every path.
    tables: dict[Any, list[Any]] = {}
    seen: set[tuple[int, Any]] = set()
    if required == 0:
        return [], 0, math.inf
    state = model.init()
    entry = tables[state] = [0, 0, {}]
    # frame: [bits, state, its table entry, candidates still to try (mask), pointer into by_ret]
    stack: list[list[Any]] = [[0, state, entry, window[0], 0]]
    path: list[int] = []
    nodes = blocked = 0
    while stack:
        frame = stack[-1]
        bits, state, entry, todo, r = frame
        tried, legal, after = entry
        pushed = False
        while todo:
            low = todo & -todo
            todo ^= low
            i = low.bit_length() - 1
            if low & tried:
                if not low & legal:
                    continue
                new_state = after[i]
            else:
                ok, new_state = step(state, ops[i])
                tried = entry[0] = entry[0] | low
                if not ok:
                    continue
                legal = entry[1] = entry[1] | low
                after[i] = new_state
            new_bits = bits | low
            child = (new_bits, new_state)
            if child in seen:
                continue
            if new_bits & required == required:
                path.append(i)
                return path, nodes, math.inf
            seen.add(child)
            frame[3] = todo
            while (new_bits >> by_ret[r]) & 1:
                r += 1
            if r > blocked:
                blocked = r
            new_entry = tables.get(new_state)
            if new_entry is None:
                new_entry = tables[new_state] = [0, 0, {}]
            known_illegal = new_entry[0] & ~new_entry[1]
            stack.append([new_bits, new_state, new_entry, window[r] & ~new_bits & ~known_illegal,
                          r])
            path.append(i)
            pushed = True
            break
        if not pushed:
            stack.pop()
            if path:
                path.pop()
        nodes += 1
        if deadline is not None and not nodes & 1023 and time.monotonic() > deadline:
            raise _Timeout
    return None, nodes, ops[by_ret[blocked]].ret


def _by_call(ops: list[Op]) -> list[Op]:
    return sorted(ops, key=lambda o: (o.call, o.ret, o.id))


def _linearize(ops: list[Op], model: Model,
               deadline: float | None) -> tuple[list[Op] | None, int, float]:
    ordered = _by_call(ops)
    order, nodes, blocked = _search(ordered, model, deadline)
    return (None if order is None else [ordered[k] for k in order]), nodes, blocked


def _prefix(ops: list[Op], cut: float) -> list[Op]:
    """The ops called by ``cut``: those returned by then, plus the pending ones that
    may change the state, made optional (info); pending reads and pending cas
    that reported "compare failed" change nothing and are left out.

    (For our three models an optional op steps exactly as its ``ok`` self
    did; a model where that is not so would need its own rule here.)
    If no path of the search placed the op returning at ``cut``, this prefix
    is illegal: any linearization of it would also be a path of the search
    (its ops were all called by ``cut``, and every op outside it returns
    later), and would have placed that op.
    """
    kept = []
    for op in ops:
        if op.call > cut:
            continue
        if op.ret <= cut:
            kept.append(op)
        elif not (op.f in READS or (op.f == "cas" and op.output is False)):
            kept.append(replace(op, status="info", ret=math.inf))
    return _by_call(kept)


def check(history: History | list[Op], model: Model | str = "cas-register",
          timeout: float | None = None) -> Result:
    """Is ``history`` linearizable with respect to ``model``?

    Returns a :class:`Result` with verdict ``ok`` (and a witness order),
    ``illegal`` (and a culprit), or ``unknown`` when ``timeout`` seconds ran
    out first.
    """
    model = get_model(model)
    if not isinstance(history, History):
        history = History(list(history))
    ops = history.checkable()
    deadline = None if timeout is None else time.monotonic() + timeout
    witness: list[Op] = []
    explored = 0
    try:
        for part in model.partition(ops):
            order, nodes, blocked = _linearize(part, model, deadline)
            explored += nodes
            if order is None:
                culprit = _prefix(part, blocked)
                last = next(op for op in part if op.ret == blocked)
                return Result("illegal", culprit=culprit, key=part[0].key, explored=explored,
                              explanation=_explain_illegal(culprit, last, part[0].key))
            witness.extend(order)
    except _Timeout:
        return Result("unknown", witness=[], explored=explored,
                      explanation=f"gave up after {timeout} s without deciding "
                                  f"({explored} search nodes explored)")
    skipped = sum(1 for op in ops if op.status == "info") - sum(
        1 for op in witness if op.status == "info")
    return Result("ok", witness=witness, explored=explored, explanation=(
        f"linearizable: the {len(witness)} operations fit one order that respects real time "
        f"and the {model.name} model" + (f" ({skipped} unknown-outcome ops never took effect)"
                                         if skipped else "")))


def _explain_illegal(culprit: list[Op], last: Op | None, key: Any) -> str:
    where = f" on key {key!r}" if key is not None else ""
    if last is None:
        return f"not linearizable{where}: no order of these {len(culprit)} operations is legal"
    return (f"not linearizable{where}: no order of the {len(culprit)} operations invoked by "
            f"t={last.ret:g} respects real time and explains {last}")
