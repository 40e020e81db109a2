"""Shrinking an illegal history to a small culprit, and saying why it fails.

Theory of operation. The linearizability search hands us a *prefix* that
cannot be linearized (:mod:`.linearizability`). A prefix of a Jepsen run
still holds dozens of ops; a learner wants the two or three that clash. We
shrink it in the manner of delta debugging (Zeller & Hildebrandt 2002,
*ddmin*): split the set into ``n`` chunks, try each set *minus* one chunk,
keep the first that is still not linearizable (and go on with ``n - 1``
chunks), else split finer; once chunks are down to a few ops, try each op
alone, pass after pass, until removing any single op makes the rest
linearizable.

Removing a write needs care: a read of the value it wrote would then read
a value nobody wrote — illegal for a trivial reason that says nothing about
the history. So removing ops also removes the ops that *depended* on them:
every op the remaining ops no longer explain (``Model.explained``), which
before the removal was explained. (A read that no op of the prefix explains
stays: that *is* the reason.) The result is therefore:

* **illegal**: no order of the culprit's ops respects real time and the model;
* **1-minimal**: take out any one op (with the ops that depended on it, see
  :func:`remove`) and what is left is linearizable.

With unique written values (as in the chapter and in our stores' workloads)
a culprit of a read/write register is a certificate on its own: any
linearization of the history, restricted to the culprit, would linearize it.
In general it is a focused view, and ``Result.prefix`` is the certificate.

Budget: re-checks are capped in number and in search nodes (not in seconds,
so the same history shrinks the same way on every machine); when a cap is
hit the smallest illegal set found so far is kept and ``minimal`` is false.

Explanation: the common shapes get a sentence of their own — a read of
several siblings, a read of a value no op wrote, the chapter's stale read
(a read began after another read had already seen a write), a read that
began after a write completed, a read of a value only later ops write, two
reads in real-time order whose values cannot follow each other. Any other
culprit of up to five ops is explained by trying every order real time
allows and naming, for each, the first op whose step fails and what had
set the value it saw.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .history import Op
from .models import Model, Siblings

#: ``is_illegal(ops, max_nodes) -> (True/False, or None if the budget ran out; nodes used)``
Judge = Callable[[list[Op], int], tuple[bool | None, int]]

MAX_CHECKS = 400
PER_CHECK_SHARE = 10  # one re-check may spend at most this fraction of the node budget
ENUMERATE_UP_TO = 5


@dataclass
class Shrunk:
    """A culprit: ``ops`` (by call), whether shrinking finished, and what it cost."""

    ops: list[Op]
    minimal: bool
    checks: int = 0
    nodes: int = 0


def _writers(ops: Sequence[Op], model: Model, but: Op | None = None) -> list[Op]:
    return [w for w in ops if w is not but and not model.read_only(w)]


def remove(ops: Sequence[Op], gone: Sequence[Op], model: Model) -> list[Op]:
    """``ops`` minus ``gone``, minus every op that ``ops`` explained and the rest no longer does."""
    drop = {id(op) for op in gone}
    kept = [op for op in ops if id(op) not in drop]
    before = {id(op) for op in kept if model.explained(op, _writers(ops, model, op))}
    while True:
        orphans = [op for op in kept if id(op) in before
                   and not model.explained(op, _writers(kept, model, op))]
        if not orphans:
            return kept
        drop = {id(op) for op in orphans}
        kept = [op for op in kept if id(op) not in drop]


def _chunks(ops: list[Op], n: int) -> list[list[Op]]:
    n = min(n, len(ops))
    size, extra = divmod(len(ops), n)
    out, start = [], 0
    for k in range(n):
        end = start + size + (1 if k < extra else 0)
        out.append(ops[start:end])
        start = end
    return out


class _Budget:
    """Caps re-checks and search nodes, in all and per re-check.

    ``judge`` says True (illegal), False (linearizable, or undecided within the per-check
    cap: counted in ``undecided``), or None once the whole budget is spent.
    """

    def __init__(self, is_illegal: Judge, max_nodes: int, max_checks: int) -> None:
        self.is_illegal, self.max_nodes, self.max_checks = is_illegal, max_nodes, max_checks
        self.per_check = max(1, max_nodes // PER_CHECK_SHARE)
        self.checks = self.nodes = self.undecided = 0

    def judge(self, ops: list[Op]) -> bool | None:
        if not ops:
            return False
        if self.checks >= self.max_checks or self.nodes >= self.max_nodes:
            return None
        verdict, used = self.is_illegal(ops, min(self.per_check, self.max_nodes - self.nodes))
        self.checks, self.nodes = self.checks + 1, self.nodes + used
        if verdict is None:
            self.undecided += 1
        return bool(verdict)

    def result(self, ops: list[Op], minimal: bool) -> Shrunk:
        return Shrunk(ops, minimal, self.checks, self.nodes)


def shrink(prefix: list[Op], model: Model, is_illegal: Judge, max_nodes: int,
           max_checks: int = MAX_CHECKS) -> Shrunk:
    """Shrink ``prefix`` (illegal) within ``max_checks`` re-checks and ``max_nodes`` nodes.

    First ddmin's coarse rounds (drop a half, a quarter, ... at a time), then passes
    that try each op alone, reads first (dropping a read orphans nothing), until a whole
    pass drops nothing and every re-check in it was decided: the result is then 1-minimal.
    """
    budget = _Budget(is_illegal, max_nodes, max_checks)
    current, n = list(prefix), 2
    while 2 * n <= len(current):
        for chunk in _chunks(current, n):
            candidate = remove(current, chunk, model)
            verdict = budget.judge(candidate)
            if verdict is None:
                return budget.result(current, False)
            if verdict:
                current, n = candidate, max(n - 1, 2)
                break
        else:
            n *= 2
    while True:
        dropped, budget.undecided = False, 0
        for op in sorted(current, key=lambda o: not model.read_only(o)):
            if op not in current:  # gone with an op it depended on
                continue
            candidate = remove(current, [op], model)
            verdict = budget.judge(candidate)
            if verdict is None:
                return budget.result(current, False)
            if verdict:
                current, dropped = candidate, True
        if not dropped:
            return budget.result(current, budget.undecided == 0)


# --- explanation ---------------------------------------------------------------------------

def _output(op: Op) -> str:
    return str(op.output) if isinstance(op.output, Siblings) else repr(op.output)


def _orders(ops: list[Op]) -> list[tuple[Op, ...]]:
    """Every order of the required ops and any subset of the optional ones that real time allows."""
    required = [op for op in ops if op.status == "ok"]
    optional = [op for op in ops if op.status != "ok"]
    out = []
    for k in range(len(optional) + 1):
        for extra in itertools.combinations(optional, k):
            for order in itertools.permutations(required + list(extra)):
                if not any(b.ret < a.call for i, a in enumerate(order) for b in order[i + 1:]):
                    out.append(order)
    return out


def _failures(ops: list[Op], model: Model) -> list[tuple[Op, Op | None, Any]]:
    """Per real-time order, the first op whose step fails, the op that set the value, the value."""
    found: dict[tuple[int, int | None], tuple[Op, Op | None, Any]] = {}
    for order in _orders(ops):
        state, setter = model.init(), None
        for op in order:
            ok, after = model.step(state, op)
            if not ok:
                found.setdefault((op.id, None if setter is None else setter.id),
                                 (op, setter, state))
                break
            if not model.read_only(op):
                setter = op
            state = after
    return list(found.values())


def _edges(ops: list[Op]) -> list[tuple[Op, Op]]:
    """Real-time precedences among ``ops``, without the ones implied by two others."""
    before = [(a, b) for a in ops for b in ops if a.ret < b.call]
    return [(a, b) for a, b in before
            if not any(a.ret < c.call and c.ret < b.call for c in ops)]


def _two_reads(ops: list[Op], model: Model) -> str | None:
    """The chapter's stale read: r1 saw w's effect and returned before r2 began, r2 did not."""
    if len(ops) != 3:
        return None
    writes = [op for op in ops if not model.read_only(op)]
    reads = sorted((op for op in ops if model.read_only(op)), key=lambda o: o.call)
    if len(writes) != 1 or len(reads) != 2 or not reads[0].ret < reads[1].call:
        return None
    (w,), (r1, r2) = writes, reads
    init = model.init()
    ok_w, after = model.step(init, w)
    if not (ok_w and model.step(after, r1)[0] and not model.step(init, r1)[0]
            and model.step(init, r2)[0] and not model.step(after, r2)[0]):
        return None
    return (f"{r2} returned {_output(r2)}, but {w} had already taken effect: {r1} saw it "
            f"(returned {_output(r1)}) and returned at t={r1.ret:g}, before {r2.process}'s "
            f"{r2.f} began at t={r2.call:g}")


def _after_write(ops: list[Op], model: Model) -> str | None:
    """A read that began after a write completed, yet returned the value from before it."""
    if len(ops) != 2:
        return None
    w, r = sorted(ops, key=lambda o: model.read_only(o))
    if model.read_only(w) or not model.read_only(r) or not w.ret < r.call:
        return None
    ok, after = model.step(model.init(), w)
    if not (ok and model.step(model.init(), r)[0] and not model.step(after, r)[0]):
        return None
    return (f"{r} returned {_output(r)}, but {w} had completed at t={w.ret:g}, "
            f"before the {r.f} began at t={r.call:g}")


def _siblings(ops: list[Op]) -> str | None:
    for op in ops:
        if isinstance(op.output, Siblings):
            return (f"{op} returned {len(op.output.values)} siblings (concurrent values kept side "
                    "by side), but a linearizable register holds one value at a time, so a read "
                    "returns exactly one")
    return None


def _alone(op: Op, model: Model, last: Op) -> str:
    """Why a culprit of one op fails: nothing in the prefix could come before it."""
    init = model.describe(model.init())
    if model.returns_state(op):
        return (f"{op} returned {_output(op)}, but no operation invoked by t={last.ret:g} "
                f"wrote {_output(op)} (the key starts as {init})")
    return (f"{op} is illegal in the initial state {init}, and no operation invoked by "
            f"t={last.ret:g} can explain it")


def _written_later(ops: list[Op], model: Model) -> str | None:
    """A plain read whose value only ops invoked after it returned could have written."""
    for r in ops:
        if not model.returns_state(r) or r.output == model.init() or model.resets is None:
            continue
        writers = [w for w in ops if not model.read_only(w) and model.resets(w, r.output)]
        if writers and all(w.call > r.ret for w in writers):
            names = ", ".join(str(w) for w in writers)
            return (f"{r} returned {_output(r)}, but the only operation{'s' * (len(writers) > 1)}"
                    f" that could write it ({names}) began after it returned at t={r.ret:g}")
    return None


def _overwritten(ops: list[Op], model: Model) -> str | None:
    """A plain read that began after an op had set the value (a write, a put) and returned
    a value that nothing which could take effect in between leads to."""
    if model.resets is None:
        return None
    for r in sorted((op for op in ops if model.returns_state(op)), key=lambda o: -o.call):
        for w in sorted(ops, key=lambda o: -o.ret):
            if model.read_only(w) or not w.ret < r.call:
                continue
            ok, after = model.step(model.init(), w)
            if not ok or after == r.output or not model.resets(w, after):
                continue
            between = [x for x in ops if x is not w and not model.read_only(x)
                       and x.ret > w.call and x.call < r.ret]
            if any(model.resets(x, r.output) for x in between) or (
                    between and model.reachable(after, r.output)):
                continue
            return (f"{r} returned {_output(r)}, but {w} had completed at t={w.ret:g}, before "
                    f"the {r.f} began at t={r.call:g}, and no operation that could take effect "
                    f"in between leads from {model.describe(after)} to {_output(r)}")
    return None


def _stale_pair(ops: list[Op], model: Model) -> str | None:
    """Two plain reads in real-time order whose values cannot follow each other: no op that
    could take effect between them can turn the first value into the second."""
    reads = sorted((op for op in ops if model.returns_state(op)), key=lambda o: o.call)
    for r1 in reads:
        for r2 in reads:
            if not r1.ret < r2.call or r1.output == r2.output or model.resets is None:
                continue
            between = [w for w in ops if not model.read_only(w) and w.ret > r1.call
                       and w.call < r2.ret]
            if any(model.resets(w, r2.output) for w in between):
                continue
            if model.reachable(r1.output, r2.output) and between:
                continue
            return (f"{r2} returned {_output(r2)}, but {r1} had returned {_output(r1)} at "
                    f"t={r1.ret:g}, before {r2.process}'s {r2.f} began at t={r2.call:g}, and no "
                    f"operation that could take effect in between leads from {_output(r1)} to "
                    f"{_output(r2)}")
    return None


def _enumerated(ops: list[Op], model: Model) -> str:
    init = model.describe(model.init())
    parts = []
    for op, setter, state in _failures(ops, model):
        if setter is None:
            parts.append(f"{op} fails while the value is still {init} (nothing written "
                         "before it)")
        else:
            parts.append(f"{op} fails after {setter} (the value is then "
                         f"{model.describe(state)})")
    orders = _orders(ops)
    if len(orders) == 1:
        return (f"real time allows only one order of these {len(ops)} operations, "
                f"{', '.join(str(op) for op in orders[0])}, and in it " + "; ".join(parts))
    edges = _edges(ops)
    rt = ("real time puts " + ", ".join(f"{a} before {b}" for a, b in edges) + "; "
          if edges else "")
    return (f"no order of these {len(ops)} operations works ({', '.join(map(str, ops))}): "
            f"{rt}every order left fails: " + "; ".join(parts))


def explain(shrunk: Shrunk, prefix: list[Op], last: Op, key: Any, model: Model) -> str:
    """One sentence: what the culprit is and why no order of it works."""
    where = f" on key {key!r}" if key is not None else ""
    ops = shrunk.ops
    small = len(ops) <= ENUMERATE_UP_TO
    why = (_siblings(ops) or (_alone(ops[0], model, last) if len(ops) == 1 else None)
           or _two_reads(ops, model) or _after_write(ops, model) or _written_later(ops, model)
           or _overwritten(ops, model) or _stale_pair(ops, model)
           or (_enumerated(ops, model) if small else None))
    if why is None:
        why = (f"no order of these {len(ops)} operations respects real time and the "
               f"{model.name} model ({', '.join(map(str, ops))}); the first op no order of the "
               f"history could place is {last}")
    note = "" if shrunk.minimal else (
        f" (shrinking stopped after {shrunk.checks} re-checks, {shrunk.nodes} search nodes: "
        f"these ops cannot be linearized but may not be a minimal set; the prefix has "
        f"{len(prefix)})")
    return f"not linearizable{where}: {why}{note}"
