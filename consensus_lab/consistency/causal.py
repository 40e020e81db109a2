"""Causal consistency of register histories, by looking for the "bad patterns".

Causal consistency (因果一致性; Ahamad et al. 1995) asks that every process
sees causally related writes in causal order; concurrent writes may be seen
in any order. What is "causally related" is read off the history itself:

* **session order** — a process's operations in program order (by call);
* **reads-from** — the write of value ``v`` to key ``x`` comes before every
  read of ``x`` that returned ``v``.

The **causal order** ``co`` is the transitive closure of the two: ``a`` ⇝
``b`` when ``b``'s process did ``a`` earlier, or had read something whose
writer had (directly or through others) seen ``a``.

For histories in which each value is written at most once per key (so a
read names the write it saw), Bouajjani, Enea, Guerraoui & Hamza ("On
Verifying Causal Consistency", POPL 2017) show that a history is causally
consistent (their CC) exactly when none of four *bad patterns* occurs:

1. **CyclicCO** — ``co`` has a cycle (an operation is its own cause: e.g. a
   read returns a value its own process writes only later).
2. **ThinAirRead** — a read returns a value that no write wrote.
3. **WriteCOInitRead** — a read returns the initial value (``None``) although
   a write to that key causally precedes it.
4. **WriteCORead** — write ``w1`` of ``x`` ⇝ write ``w2`` of ``x`` ⇝ read of
   ``x``, and the read returns ``w1``'s value: the read shows a value that
   its own causal past had already overwritten — "the effect before its
   cause".

:func:`causal_violations` finds every occurrence; :func:`check_causal` wraps
the first one (by the read's call time) in a :class:`Result` whose culprit is
the writes, the read and the chain of operations that links them, for
:func:`~consensus_lab.viz.history.history_timeline`.

Conventions as in the other checkers: ``fail`` operations never happened and
are dropped; ``info`` writes may have happened and count as writes; ``info``
reads are dropped. Operations must be ``read``/``write`` (or ``get``/``put``).
Standard library only; polynomial (ancestor sets as bitsets).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .history import History, Op
from .linearizability import Result

READ_FS = ("read", "get")
WRITE_FS = ("write", "put")
PATTERNS = ("CyclicCO", "ThinAirRead", "WriteCOInitRead", "WriteCORead")


@dataclass(frozen=True)
class CausalViolation:
    """One bad pattern: the ``read`` that shows it, the ``writes`` involved and the ``chain``.

    ``chain`` is a shortest path of session-order / reads-from steps from the
    first write to the read — through the overwriting write for WriteCORead —
    that makes the pattern (empty for ThinAirRead).
    """

    pattern: str
    read: Op
    writes: tuple[Op, ...]
    chain: tuple[Op, ...]
    reason: str

    def ops(self) -> list[Op]:
        """Every operation of the pattern (writes, chain, read), without repeats, by call."""
        seen = {op.id: op for op in (*self.writes, *self.chain, self.read)}
        return sorted(seen.values(), key=lambda o: (o.call, o.id))

    def __str__(self) -> str:
        return self.reason


class _Graph:
    """Session-order and reads-from edges over the checkable ops of a history."""

    def __init__(self, ops: list[Op], initial: Any) -> None:
        self.ops, self.initial = ops, initial
        self.index = {op.id: i for i, op in enumerate(ops)}
        self.preds: list[list[int]] = [[] for _ in ops]
        self.writer: dict[tuple[str, str], int] = {}  # (repr key, repr value) -> write index
        for i, op in enumerate(ops):
            if op.f in WRITE_FS:
                name = (repr(op.key), repr(op.value))
                if name in self.writer:
                    raise ValueError(f"check_causal needs distinct written values per key; "
                                     f"{op.value!r} is written twice to key {op.key!r}")
                self.writer[name] = i
        sessions: dict[str, list[int]] = {}
        for i in sorted(range(len(ops)), key=lambda i: (ops[i].call, ops[i].id)):
            sessions.setdefault(ops[i].process, []).append(i)
        # Invariant: earlier[i] = the ops of i's session before i, in program order.
        self.earlier: list[list[int]] = [[] for _ in ops]
        for chain in sessions.values():
            for position, after in enumerate(chain):
                self.earlier[after] = chain[:position]
                if position:
                    self.preds[after].append(chain[position - 1])
        for i, op in enumerate(ops):
            source = self.source(op)
            if source is not None:
                self.preds[i].append(source)

    def source(self, read: Op) -> int | None:
        """The index of the write a read returned (None for the initial value or thin air)."""
        if read.f not in READ_FS:
            return None
        return self.writer.get((repr(read.key), repr(read.output)))

    def topological(self) -> tuple[list[int], list[int]]:
        """(an order of the acyclic part, the indexes left on or after a cycle)."""
        succs: list[list[int]] = [[] for _ in self.ops]
        indegree = [len(p) for p in self.preds]
        for i, preds in enumerate(self.preds):
            for p in preds:
                succs[p].append(i)
        ready = deque(i for i, d in enumerate(indegree) if d == 0)
        order = []
        while ready:
            i = ready.popleft()
            order.append(i)
            for s in succs[i]:
                indegree[s] -= 1
                if indegree[s] == 0:
                    ready.append(s)
        return order, [i for i, d in enumerate(indegree) if d > 0]

    def chain(self, start: int, end: int) -> tuple[Op, ...]:
        """A shortest co-path from ``start`` to ``end`` (both included), by breadth-first search.

        A step is one reads-from edge or a jump back to *any* earlier op of the
        same session, so the chain names only the ops that matter.
        """
        back: dict[int, int] = {end: end}
        queue = deque([end])
        while queue:
            i = queue.popleft()
            if i == start:
                break
            source = self.source(self.ops[i])
            for p in ([] if source is None else [source]) + self.earlier[i][::-1]:
                if p not in back:
                    back[p] = i
                    queue.append(p)
        path, i = [start], start
        while i != end:
            i = back[i]
            path.append(i)
        return tuple(self.ops[i] for i in path)


def _ops(history: History | Sequence[Op]) -> list[Op]:
    if not isinstance(history, History):
        history = History(list(history))
    ops = history.checkable()
    for op in ops:
        if op.f not in READ_FS + WRITE_FS:
            raise ValueError(f"check_causal supports read/write and get/put only, got {op}")
    return ops


def _show(op: Op) -> str:
    key = f" {op.key}" if op.key is not None else ""
    if op.f in READ_FS:
        return f"{op.process} read{key} → {op.output!r}"
    return f"{op.process} write{key} {op.value!r}"


def _path(chain: tuple[Op, ...]) -> str:
    return " ⇝ ".join(_show(op) for op in chain)


def causal_violations(history: History | Sequence[Op],
                      initial: Any = None) -> list[CausalViolation]:
    """Every bad pattern of ``history`` (see the module docstring), reads in call order.

    ``initial`` is every key's value before any write (``None`` for registers).
    Raises ``ValueError`` if a value is written twice to one key or an
    operation is not a read or a write.
    """
    ops = _ops(history)
    graph = _Graph(ops, initial)
    order, cyclic = graph.topological()
    found: list[CausalViolation] = []
    if cyclic:
        on_cycle = [ops[i] for i in sorted(cyclic, key=lambda i: (ops[i].call, ops[i].id))]
        read = next((op for op in on_cycle if op.f in READ_FS), on_cycle[0])
        found.append(CausalViolation(
            "CyclicCO", read, tuple(op for op in on_cycle if op.f in WRITE_FS), tuple(on_cycle),
            f"causality has a cycle: {_show(read)} is one of {len(on_cycle)} operations on or "
            f"after a chain of program-order and reads-from steps that leads back to itself"))
    ancestors = [0] * len(ops)  # bit j set: ops[j] ⇝ ops[i]
    for i in order:
        for p in graph.preds[i]:
            ancestors[i] |= ancestors[p] | (1 << p)
    for i in sorted(order, key=lambda i: (ops[i].call, ops[i].id)):
        if ops[i].f in READ_FS:
            found.extend(_read_patterns(graph, ancestors, i))
    return found


def _read_patterns(graph: _Graph, ancestors: list[int], i: int) -> list[CausalViolation]:
    """ThinAirRead, WriteCOInitRead and WriteCORead for the read ``ops[i]``."""
    ops, read = graph.ops, graph.ops[i]
    same_key = [j for j, op in enumerate(ops) if op.f in WRITE_FS and op.key == read.key]
    past = [j for j in same_key if ancestors[i] >> j & 1]
    source = graph.source(read)
    if source is None and read.output != graph.initial:
        return [CausalViolation("ThinAirRead", read, (), (),
                                f"{_show(read)}: no write wrote {read.output!r}")]
    if source is None:
        if not past:
            return []
        chain = graph.chain(past[0], i)
        return [CausalViolation(
            "WriteCOInitRead", read, (ops[past[0]],), chain,
            f"{_show(read)} returns the initial value, but {_show(ops[past[0]])} causally "
            f"precedes it: {_path(chain)}")]
    for j in past:
        if j != source and ancestors[j] >> source & 1:
            chain = graph.chain(source, j) + graph.chain(j, i)[1:]
            return [CausalViolation(
                "WriteCORead", read, (ops[source], ops[j]), chain,
                f"{_show(read)}, a value its causal past had already overwritten with "
                f"{_show(ops[j])}: {_path(chain)}")]
    return []


def check_causal(history: History | Sequence[Op], initial: Any = None) -> Result:
    """Is ``history`` causally consistent (CC, Bouajjani et al. 2017)?

    Returns a :class:`Result`: verdict ``ok``, or ``illegal`` with the first
    violation's operations as ``culprit`` and its reason as ``explanation``.
    """
    ops = _ops(history)
    found = causal_violations(ops, initial)
    if not found:
        return Result("ok", explanation=(
            f"causally consistent: no read of the {len(ops)} operations shows a value that its "
            f"causal past had overwritten, and causality has no cycle"))
    first = found[0]
    more = f" ({len(found) - 1} more violations)" if len(found) > 1 else ""
    return Result("illegal", culprit=first.ops(), key=first.read.key,
                  explanation=f"not causally consistent ({first.pattern}): {first.reason}{more}")
