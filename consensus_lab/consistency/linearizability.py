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

Two more cuts, both sound (they never hide a linearization):

* **Reads first.** If a read-only op ``r`` (``Model.read_only``: reads, a
  failed ``cas``) may go next and is legal in the current state, we try it
  first and, if that fails, nothing else: any successful order from here can
  be rearranged to put ``r`` first (``r`` leaves the state as it is, and
  moving it earlier breaks no real-time edge, since ``r`` was called no
  later than every pending op returns).
* **Doomed reads.** A pending plain read ``g`` of value ``v`` must still be
  placed, and every op placed before it must have been called by
  ``g.ret``. If none of those ops can set the state toward ``v``
  (``Model.resets``) and the others cannot reach it (``Model.reachable``:
  on ``kv`` appends only grow the string), ``g`` can never become legal and
  the node is a dead end. This is what makes the 50-client kv history fast:
  a wrong guess about the order of concurrent appends is seen as soon as
  some pending read no longer starts with the string built so far.

Unknown outcomes (``info``) have ``ret = inf``: they never bound the
others, and they are *optional* — the search succeeds once every ``ok`` op
is placed, whether or not the ``info`` ones took effect. ``fail`` ops and
``info`` reads are dropped before the search (they constrain nothing).

Each key is checked on its own (P-compositionality, see ``models``); the
first illegal key stops the check. For an illegal key the failed search
yields a *prefix* for free: it records how far (in return order) any path
got — the first op no path could place, returning at ``T`` (widened past
any doomed read that cut a subtree short) — and the ops called by ``T``,
those returned by then plus the pending writes made optional, are already
not linearizable (see ``_prefix``), and so neither is the whole history.
That prefix is then shrunk (:mod:`.culprit`) to a small set of ops that
cannot be linearized, explained in a sentence.

Speed (pure Python; ``consensus-lab bench lincheck`` measures it against
Porcupine's own times). Model states are interned to small ints per key, so
the memo and the cache of step results are keyed by ints, not by long kv
strings; plain reads are indexed by the value they returned, so the reads
legal in a new state cost one dictionary look-up; the current node lives in
local variables and only its ancestors on a stack.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from typing import Any

from .culprit import Shrunk, explain, shrink
from .history import READS, History, Op
from .models import Model, get_model, plain

VERDICTS = ("ok", "illegal", "unknown")


@dataclass
class Result:
    """A verdict, with evidence.

    ``witness``: the ops in linearization order (``ok``), all keys
    concatenated. For ``illegal``: ``prefix`` is the history of the failing
    key up to a time by which no order gets through (see the module
    docstring), a sound certificate; ``culprit`` is the smallest set of ops found in it
    that cannot be linearized (1-minimal when ``minimal`` is true, see
    :mod:`.culprit`); ``explanation`` is one sentence for a human. Ops are
    sorted by call.
    """

    verdict: str
    witness: list[Op] = field(default_factory=list)
    culprit: list[Op] = field(default_factory=list)
    explanation: str = ""
    key: Any = None
    explored: int = 0  # search nodes visited (all keys)
    prefix: list[Op] = field(default_factory=list)
    minimal: bool = False  # the culprit is 1-minimal (shrinking finished within its budget)

    @property
    def linearizable(self) -> bool | None:
        """True, False, or None when unknown."""
        return {"ok": True, "illegal": False}.get(self.verdict)

    def __bool__(self) -> bool:
        return self.verdict == "ok"


class SearchLimit(Exception):
    """The search ran past its deadline or its node budget."""


def _masks(ops: list[Op], model: Model) -> tuple[int, int, int, dict[Any, int]]:
    """(required ops, read-only ops, reads indexed by output, {output: mask of those reads})."""
    required = readonly = keyed = 0
    by_output: dict[Any, int] = {}
    read_only, returns_state = model.read_only, model.returns_state
    for i, op in enumerate(ops):
        bit = 1 << i
        if op.ret != math.inf:
            required |= bit
        if read_only(op):
            readonly |= bit
            if returns_state(op):
                try:
                    by_output[op.output] = by_output.get(op.output, 0) | bit
                except TypeError:  # unhashable output: stepped like any other op
                    continue
                keyed |= bit
    return required, readonly, keyed, by_output


def _search(ops: list[Op], model: Model, deadline: float | None = None,
            max_nodes: int | None = None) -> tuple[list[int] | None, int, float]:
    """DFS over minimal ops; ``ops`` sorted by call.

    Returns (order as indices, or None if there is none; nodes explored; a
    time ``T`` no path gets past: the return time of the first op, by return
    time, that no path placed, or of a doomed read that cut a path short).
    Raises :class:`SearchLimit` past ``deadline`` (``time.monotonic``) or
    ``max_nodes``.

    Op ``i`` is bit ``i``. Because ops are sorted by call, the ops called no
    later than a time ``t`` are a prefix, so "may go next" is the mask
    ``~bits & window[r]`` — no scanning of ops already placed. Candidates
    known to be illegal in the node's state are masked out too: the plain
    reads that returned another value (found by one look-up in ``by_output``
    when the state is first seen) and the ops whose step already failed there.
    """
    n = len(ops)
    required, readonly, keyed, by_output = _masks(ops, model)
    if required == 0:
        return [], 0, math.inf
    calls = [op.call for op in ops]
    by_ret = sorted(range(n), key=lambda i: ops[i].ret)
    ret_bit = [1 << i for i in by_ret] + [0]  # sentinel: stops the scan at n
    window = [(1 << bisect_right(calls, ops[i].ret)) - 1 for i in by_ret] + [(1 << n) - 1]
    step = model.step
    helpers: list[int | None] = [None] * n  # per read: the ops that may reset toward it
    win_of = [(1 << bisect_right(calls, op.ret)) - 1 for op in ops]
    position = [0] * n  # position[i]: where op i stands in by_ret
    for k, i in enumerate(by_ret):
        position[i] = k
    # States are interned: ids[state] = its index in states. illegal[id] masks the ops
    # known illegal in that state; moves[id * n + i] is the id after op i (-1: illegal);
    # seen is Lowe's memo of (bits, state id) already explored.
    init = model.init()
    states: list[Any] = [init]
    ids = {init: 0}
    illegal = [keyed & ~by_output.get(init, 0)]
    moves: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    # The current node is (bits, state id, candidates still to try, pointer into by_ret);
    # stack holds its ancestors, each with the op index that led to its child.
    bits, sid, todo, r = 0, 0, window[0] & ~illegal[0], 0
    stack: list[tuple[int, int, int, int, int]] = []
    nodes = blocked = 0
    cut_at = -1  # the furthest by_ret position a dead end might have reached
    check_every = 1023 if deadline is not None or max_nodes is not None else -1
    while True:
        if not todo:  # every candidate tried: back to the parent
            if not stack:
                break
            bits, sid, todo, r, _ = stack.pop()
            continue
        pick = todo & readonly or todo  # read-only candidates first
        low = pick & -pick
        i = low.bit_length() - 1
        if low & keyed:  # a plain read left in todo is legal here
            nxt = sid
        else:
            move = sid * n + i
            known = moves.get(move)
            if known is not None:
                nxt = known
            else:
                ok, new_state = step(states[sid], ops[i])
                if ok:
                    seen_id = ids.get(new_state)
                    if seen_id is not None:
                        nxt = seen_id
                    else:
                        nxt = ids[new_state] = len(states)
                        states.append(new_state)
                        illegal.append(keyed & ~by_output.get(new_state, 0))
                else:
                    nxt = -1
                    illegal[sid] |= low
                moves[move] = nxt
            if nxt < 0:
                todo ^= low
                continue
        # a legal read-only op goes next or nothing does (module docstring); a model whose
        # "read-only" op changed the state here breaks the premise: no cut then
        todo = 0 if low & readonly and nxt == sid else todo ^ low
        new_bits = bits | low
        if new_bits & required == required:
            return [frame[4] for frame in stack] + [i], nodes, math.inf
        node = (new_bits, nxt)
        if node in seen:
            continue
        seen.add(node)
        child_r = r
        while new_bits & ret_bit[child_r]:
            child_r += 1
        if child_r > blocked:
            blocked = child_r
        nodes += 1
        if not nodes & check_every:
            if deadline is not None and time.monotonic() > deadline:
                raise SearchLimit(f"deadline passed after {nodes} search nodes")
            if max_nodes is not None and nodes > max_nodes:
                raise SearchLimit(f"node budget of {max_nodes} spent")
        pending = window[child_r] & ~new_bits
        child_todo = pending & ~illegal[nxt]
        # a dead end if a pending plain read can never become legal (module docstring)
        doomed = pending & keyed & illegal[nxt] & required
        if doomed:
            stuck = _doomed(doomed, new_bits, states[nxt], ops, win_of, helpers, model)
            if stuck >= 0:
                if position[stuck] > cut_at:  # this subtree gets no further than that read
                    cut_at = position[stuck]
                continue
        if child_todo:  # else a dead end: nothing may go next
            stack.append((bits, sid, todo, r, i))
            bits, sid, todo, r = new_bits, nxt, child_todo, child_r
    return None, nodes, ops[by_ret[max(blocked, cut_at)]].ret


def _doomed(reads: int, bits: int, state: Any, ops: list[Op], win_of: list[int],
            helpers: list[int | None], model: Model) -> int:
    """A read among ``reads`` (a mask; each pending, illegal in ``state``) that can never
    become legal, or -1. Ops run before read ``g`` must be called by ``g.ret`` (``win_of``):
    with none among them that ``model.resets`` toward ``g``'s value, the state can only
    move as ``model.reachable`` allows."""
    while reads:
        low = reads & -reads
        reads ^= low
        g = low.bit_length() - 1
        helping = helpers[g]
        if helping is None:
            helping = helpers[g] = _helpers(ops, ops[g].output, model)
        if not win_of[g] & ~bits & helping and not model.reachable(state, ops[g].output):
            return g
    return -1


def _helpers(ops: list[Op], target: Any, model: Model) -> int:
    """The mask of ops that may set the state toward ``target`` whatever it was before."""
    resets = model.resets
    mask = 0
    for i, op in enumerate(ops):
        if (resets(op, target) if resets is not None else not model.read_only(op)):
            mask |= 1 << i
    return mask


def _by_call(ops: list[Op]) -> list[Op]:
    return sorted(ops, key=lambda o: (o.call, o.ret, o.id))


def linearize(ops: list[Op], model: Model, deadline: float | None = None,
              max_nodes: int | None = None) -> tuple[list[Op] | None, int, float]:
    """One key's ops (any order) → (a linearization or None, nodes, blocked return time)."""
    ordered = _by_call(ops)
    order, nodes, blocked = _search(ordered, model, deadline, max_nodes)
    return (None if order is None else [ordered[k] for k in order]), nodes, blocked


def _prefix(ops: list[Op], cut: float) -> list[Op]:
    """The ops called by ``cut``: those returned by then, plus the pending ones that
    may change the state, made optional (info); pending reads and pending cas
    that reported "compare failed" change nothing and are left out.

    (For our three models an optional op steps exactly as its ``ok`` self
    did; a model where that is not so would need its own rule here.)
    If no path of the search got past the op returning at ``cut``, this
    prefix is illegal: any linearization of it would also be a path of the
    search (its ops were all called by ``cut``, and every op outside it
    returns later), and would have placed that op. Conversely a
    linearization of the whole history, cut after its last op returning by
    ``cut``, would linearize the prefix: so an illegal prefix proves the
    history illegal — and the same holds for any later ``cut``, which is why
    the search may widen it past a doomed read.
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
          timeout: float | None = None, shrink_nodes: int = 20_000) -> Result:
    """Is ``history`` linearizable with respect to ``model``?

    Returns a :class:`Result` with verdict ``ok`` (and a witness order),
    ``illegal`` (and a prefix, a culprit and an explanation), or ``unknown``
    when ``timeout`` seconds ran out first. ``shrink_nodes`` bounds the
    search nodes spent shrinking the culprit (0: keep the prefix).
    Reads of several siblings are judged as :func:`~.models.plain` says.
    """
    model = get_model(model)
    if not isinstance(history, History):
        history = History(list(history))
    ops = [plain(op) for op in history.checkable()]
    deadline = None if timeout is None else time.monotonic() + timeout
    witness: list[Op] = []
    explored = 0
    try:
        for part in model.partition(ops):
            order, nodes, blocked = linearize(part, model, deadline)
            explored += nodes
            if order is None:
                return _illegal(part, blocked, model, explored, deadline, shrink_nodes)
            witness.extend(order)
    except SearchLimit:
        return Result("unknown", witness=[], explored=explored,
                      explanation=f"gave up after {timeout} s without deciding "
                                  f"({explored} search nodes explored)")
    skipped = sum(1 for op in ops if op.status == "info") - sum(
        1 for op in witness if op.status == "info")
    return Result("ok", witness=witness, explored=explored, explanation=(
        f"linearizable: the {len(witness)} operations fit one order that respects real time "
        f"and the {model.name} model" + (f" ({skipped} unknown-outcome ops never took effect)"
                                         if skipped else "")))


def _illegal(part: list[Op], blocked: float, model: Model, explored: int,
             deadline: float | None, shrink_nodes: int) -> Result:
    prefix = _prefix(part, blocked)
    last = next(op for op in part if op.ret == blocked)

    def is_illegal(ops: list[Op], max_nodes: int) -> tuple[bool | None, int]:
        try:
            order, nodes, _ = linearize(ops, model, deadline, max_nodes)
        except SearchLimit:
            return None, max_nodes
        return order is None, nodes

    # Shrink the ops called by the cut as they were recorded: each differs from its prefix
    # version only by more constraints (a required read, a write that must take effect by
    # its return), so the set is illegal too, and a culprit shows the ops as they happened.
    called = _by_call([op for op in part if op.call <= blocked])
    shrunk: Shrunk = shrink(called, model, is_illegal, shrink_nodes)
    key = part[0].key
    return Result("illegal", culprit=shrunk.ops, key=key, explored=explored, prefix=prefix,
                  minimal=shrunk.minimal,
                  explanation=explain(shrunk, prefix, last, key, model))
