"""Session guarantees (Terry et al. 1994) checked on register / key-value histories.

Terry, Demers, Petersen, Spreitzer, Theimer & Welch, "Session Guarantees for
Weakly Consistent Replicated Data" (PDIS 1994) define four guarantees for
one session (here: one ``process``; its ops in *program order*, i.e. sorted
by ``call``), in terms of the order in which servers apply writes:

* **Read Your Writes** — a read sees every earlier write of its session.
* **Monotonic Reads** — a read sees every write an earlier read of the
  session saw.
* **Monotonic Writes** — an earlier write of the session is ordered before a
  later one.
* **Writes Follow Reads** — a write is ordered after every write that an
  earlier read of the session saw.

Checking them from a client history needs that write order. We assume
**unique written values per key** (so a read names the write it saw) and a
**version order**: per key, a total order of its writes, oldest first; the
key's initial value (``model.init()``, ``None`` for registers) is older than
every write. A read's *version* is the position of the write whose value it
returned. With a register's overwrite semantics, "read ``r`` sees write
``w``" becomes "``version(r) >= version(w)``", so the guarantees read:

* RYW: ``w`` by ``p`` before read ``r`` by ``p``, same key → ``version(r) >= version(w)``
* MR:  reads ``r1`` before ``r2`` by ``p``, same key → ``version(r2) >= version(r1)``
* MW:  writes ``w1`` before ``w2`` by ``p``, same key → ``version(w1) < version(w2)``
* WFR: read ``r1`` before write ``w2`` by ``p``, same key → ``version(r1) < version(w2)``

Only per-key consequences are checked (Terry's MW/WFR also order writes to
*different* objects; with one register per key those orders are not
observable here).

Where the version order comes from (the assumption, pass ``versions`` to
override it): if the store reports its order (a replica log, commit
indices) give it as ``versions={key: [value, ...]}``. Otherwise, per key:

1. if the key's sub-history is linearizable, the order of writes in the
   linearization witness of :func:`check` (then all four guarantees hold —
   linearizability implies them);
2. otherwise the **completion order** of the writes (acknowledged writes by
   ``ret``; unknown-outcome ``info`` writes after them, by ``call``): the
   order in which the store acknowledged them.

Program order implies completion order, so under an *inferred* order
Monotonic Writes always holds for acknowledged writes: MW can only be
violated against an order the store reports. ``fail`` ops, ``info`` reads
and reads of a value no (non-failed) write wrote are ignored; only
acknowledged (``ok``) writes count as a session's writes. Standard library only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .history import History, Op
from .linearizability import check

READ_FS = ("read", "get")
WRITE_FS = ("write", "put")

Versions = dict[Any, list[Any]]


@dataclass(frozen=True)
class Violation:
    """One broken guarantee: ``process`` did ``first`` then ``second``; ``reason`` says why."""

    guarantee: str
    process: str
    first: Op
    second: Op
    reason: str

    def __str__(self) -> str:
        return self.reason


def _checked(history: History | Sequence[Op]) -> list[Op]:
    ops = list(history)
    for op in ops:
        if op.f not in READ_FS + WRITE_FS:
            raise ValueError(f"session checks support read/write and get/put only, got {op}")
    return [op for op in ops
            if op.status == "ok" or (op.status == "info" and op.f in WRITE_FS)]


def _model(ops: Sequence[Op]) -> str:
    return "kv" if any(op.f in ("get", "put") for op in ops) else "register"


def version_order(history: History | Sequence[Op]) -> Versions:
    """Per key, the written values oldest first, inferred as the module docstring says."""
    ops = _checked(history)
    groups: dict[Any, list[Op]] = {}
    for op in ops:
        groups.setdefault(op.key, []).append(op)
    result: Versions = {}
    for key, part in groups.items():
        writes = [op for op in part if op.f in WRITE_FS]
        values = [op.value for op in writes]
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"session checks need unique written values per key; key {key!r} "
                             f"has writes {values!r}")
        lin = check(part, _model(part))
        if lin.verdict == "ok":
            order = [op for op in lin.witness if op.f in WRITE_FS]
            order += [op for op in writes if op not in order]  # info writes that never happened
        else:
            order = sorted(writes, key=lambda o: (o.ret, o.call, o.id))
        result[key] = [op.value for op in order]
    return result


class _Ranker:
    def __init__(self, ops: list[Op], versions: Versions | None) -> None:
        self.versions = version_order(ops) if versions is None else versions
        self.initial = (None if _model(ops) == "register" else "")

    def rank(self, op: Op) -> int | None:
        """The op's version: position of its write (or of the write it read); -1 = initial."""
        value = op.value if op.f in WRITE_FS else op.output
        order = self.versions.get(op.key, [])
        for position, written in enumerate(order):
            if written == value:
                return position
        if op.f in READ_FS and value == self.initial:
            return -1
        return None


def _scan(history: History | Sequence[Op], versions: Versions | None, name: str,
          earlier: tuple[str, ...], later: tuple[str, ...],
          broken: Callable[[int, int], bool], why: Callable[[Op, Op], str]) -> list[Violation]:
    """For each ``later`` op of a session, the worst earlier op on the same key that breaks it."""
    ops = _checked(history)
    ranker = _Ranker(ops, versions)
    sessions: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        sessions.setdefault(op.process, []).append(op)
    found = []
    for process, session in sessions.items():
        for j, second in enumerate(session):
            if second.f not in later or second.status != "ok":
                continue
            r2 = ranker.rank(second)
            if r2 is None:
                continue
            worst, worst_rank = None, -math.inf
            for first in session[:j]:
                if first.f not in earlier or first.key != second.key or first.status != "ok":
                    continue
                r1 = ranker.rank(first)
                if r1 is not None and broken(r1, r2) and r1 > worst_rank:
                    worst, worst_rank = first, r1
            if worst is not None:
                found.append(Violation(name, process, worst, second, why(worst, second)))
    return found


def _key(op: Op) -> str:
    return "" if op.key is None else f" of key {op.key!r}"


def read_your_writes(history: History | Sequence[Op],
                     versions: Versions | None = None) -> list[Violation]:
    """Reads that miss an earlier write of their own session (Terry's RYW)."""
    return _scan(history, versions, "read-your-writes", WRITE_FS, READ_FS,
                 lambda w, r: r < w,
                 lambda w, r: (f"{r.process} wrote {w.value!r}{_key(w)} and then read "
                               f"{r.output!r}, which the version order puts before its own write"))


def monotonic_reads(history: History | Sequence[Op],
                    versions: Versions | None = None) -> list[Violation]:
    """Reads that return an older version than an earlier read of the session (MR)."""
    return _scan(history, versions, "monotonic-reads", READ_FS, READ_FS,
                 lambda r1, r2: r2 < r1,
                 lambda a, b: (f"{b.process} read {a.output!r}{_key(a)} and later read "
                               f"{b.output!r}, which the version order puts before {a.output!r}"))


def monotonic_writes(history: History | Sequence[Op],
                     versions: Versions | None = None) -> list[Violation]:
    """Writes of a session that the version order puts before an earlier one (MW)."""
    return _scan(history, versions, "monotonic-writes", WRITE_FS, WRITE_FS,
                 lambda w1, w2: w2 <= w1,
                 lambda a, b: (f"{b.process} wrote {a.value!r} and then {b.value!r}{_key(a)}, "
                               f"but the store ordered {b.value!r} first"))


def writes_follow_reads(history: History | Sequence[Op],
                        versions: Versions | None = None) -> list[Violation]:
    """Writes of a session ordered before a write that an earlier read saw (WFR)."""
    return _scan(history, versions, "writes-follow-reads", READ_FS, WRITE_FS,
                 lambda r1, w2: w2 <= r1,
                 lambda r, w: (f"{w.process} read {r.output!r}{_key(r)} and then wrote "
                               f"{w.value!r}, but the store ordered {w.value!r} before the "
                               f"write it had read"))


GUARANTEES = {"read-your-writes": read_your_writes, "monotonic-reads": monotonic_reads,
              "monotonic-writes": monotonic_writes, "writes-follow-reads": writes_follow_reads}


def check_sessions(history: History | Sequence[Op],
                   versions: Versions | None = None) -> dict[str, list[Violation]]:
    """All four guarantees: ``{name: violations}`` (every list empty when all hold)."""
    if versions is None:
        versions = version_order(history)
    return {name: fn(history, versions) for name, fn in GUARANTEES.items()}
