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

**Across keys.** Terry et al. state the guarantees over a server's whole
database ``DB(S, t)``, not per object, but a read reveals only the writes to
the key it reads (its *relevant writes*). So for RYW and MR the per-key
rules above are everything a client history can show: a read of ``y`` says
nothing about whether a write to ``x`` had reached its server. MW and WFR
are different: "if ``W2`` is in ``DB(S2)`` then ``W1`` is also in ``DB(S2)``"
relates writes to *different* keys, and another session can expose a
breach:

* MW across keys: ``p`` writes ``W1`` to ``x``, then ``W2`` to ``y``; another
  session ``q`` reads ``y`` and gets ``W2``'s value (alone or among
  siblings), then reads ``x`` and gets a version older than ``W1``.
* WFR across keys: ``p`` reads ``x`` and sees ``W1``, then writes ``W2`` to
  ``y``; ``q`` sees ``W2`` and then an ``x`` older than ``W1`` (the
  "answer before the question" anomaly).

Strictly, such a pair shows that ``p``'s guarantee and ``q``'s monotonic
reads cannot both hold (``q``'s second read may have gone to a server that
had not seen ``W2`` at all); we report it against ``p``'s guarantee, with
``q``'s two reads in ``Violation.observed_by``.

**Siblings.** A read that returned several concurrent values (a siblings
store, see :func:`~consensus_lab.consistency.models.plain`) observes every
write among its siblings: its version is the newest of theirs.

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
Monotonic Writes on one key always holds for acknowledged writes: there MW
can only be violated against an order the store reports (across keys
another session can still expose it). ``fail`` ops, ``info`` reads
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
from .models import Siblings, plain

READ_FS = ("read", "get")
WRITE_FS = ("write", "put")

Versions = dict[Any, list[Any]]


@dataclass(frozen=True)
class Violation:
    """One broken guarantee: ``process`` did ``first`` then ``second``; ``reason`` says why.

    ``observed_by``: for a breach across keys, the two reads of another
    session that expose it (empty otherwise).
    """

    guarantee: str
    process: str
    first: Op
    second: Op
    reason: str
    observed_by: tuple[Op, ...] = ()

    def __str__(self) -> str:
        return self.reason


def _checked(history: History | Sequence[Op]) -> list[Op]:
    ops = [plain(op) for op in history]
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
        """The op's version: position of its write (or of the write it read); -1 = initial.

        A read of siblings has the newest version among them."""
        value = op.value if op.f in WRITE_FS else op.output
        if isinstance(value, Siblings):
            ranks = [r for v in value.values if (r := self._rank(op.key, v, op.f)) is not None]
            return max(ranks, default=None)
        return self._rank(op.key, value, op.f)

    def _rank(self, key: Any, value: Any, f: str) -> int | None:
        for position, written in enumerate(self.versions.get(key, [])):
            if written == value:
                return position
        if f in READ_FS and value == self.initial:
            return -1
        return None


def _sessions(ops: list[Op]) -> dict[str, list[Op]]:
    """Each process's ops in program order (by call)."""
    sessions: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        sessions.setdefault(op.process, []).append(op)
    return sessions


def _scan(history: History | Sequence[Op], versions: Versions | None, name: str,
          earlier: tuple[str, ...], later: tuple[str, ...],
          broken: Callable[[int, int], bool], why: Callable[[Op, Op], str]) -> list[Violation]:
    """For each ``later`` op of a session, the worst earlier op on the same key that breaks it."""
    ops = _checked(history)
    ranker = _Ranker(ops, versions)
    found = []
    for process, session in _sessions(ops).items():
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
                               f"{_shown(r)}, which the version order puts before its own write"))


def monotonic_reads(history: History | Sequence[Op],
                    versions: Versions | None = None) -> list[Violation]:
    """Reads that return an older version than an earlier read of the session (MR)."""
    return _scan(history, versions, "monotonic-reads", READ_FS, READ_FS,
                 lambda r1, r2: r2 < r1,
                 lambda a, b: (f"{b.process} read {_shown(a)}{_key(a)} and later read "
                               f"{_shown(b)}, which the version order puts before {_shown(a)}"))


def monotonic_writes(history: History | Sequence[Op],
                     versions: Versions | None = None) -> list[Violation]:
    """Writes of a session that the version order puts before an earlier one (MW), and
    writes another session saw without an earlier write of the session to another key."""
    versions = version_order(history) if versions is None else versions
    return _scan(history, versions, "monotonic-writes", WRITE_FS, WRITE_FS,
                 lambda w1, w2: w2 <= w1,
                 lambda a, b: (f"{b.process} wrote {a.value!r} and then {b.value!r}{_key(a)}, "
                               f"but the store ordered {b.value!r} first")) + _across_keys(
        history, versions, "monotonic-writes", WRITE_FS,
        lambda d, w, ra, rb: (f"{w.process} wrote {d.value!r}{_key(d)} and then "
                              f"{w.value!r}{_key(w)}, but {ra.process} read {_shown(ra)}{_key(ra)} "
                              f"and then {_shown(rb)}{_key(rb)}, which is older than "
                              f"{d.value!r}: the later write arrived without the earlier one"))


def writes_follow_reads(history: History | Sequence[Op],
                        versions: Versions | None = None) -> list[Violation]:
    """Writes of a session ordered before a write that an earlier read saw (WFR), and
    writes another session saw without the write they followed on another key."""
    versions = version_order(history) if versions is None else versions
    return _scan(history, versions, "writes-follow-reads", READ_FS, WRITE_FS,
                 lambda r1, w2: w2 <= r1,
                 lambda r, w: (f"{w.process} read {_shown(r)}{_key(r)} and then wrote "
                               f"{w.value!r}, but the store ordered {w.value!r} before the "
                               f"write it had read")) + _across_keys(
        history, versions, "writes-follow-reads", READ_FS,
        lambda d, w, ra, rb: (f"{w.process} read {_shown(d)}{_key(d)} and then wrote "
                              f"{w.value!r}{_key(w)}, but {ra.process} read {_shown(ra)}{_key(ra)} "
                              f"and then {_shown(rb)}{_key(rb)}, which is older than "
                              f"{_shown(d)}: the write arrived without the write it followed"))


def _shown(op: Op) -> str:
    value = op.value if op.f in WRITE_FS else op.output
    return str(value) if isinstance(value, Siblings) else repr(value)


def _across_keys(history: History | Sequence[Op], versions: Versions | None, name: str,
                 earlier: tuple[str, ...],
                 why: Callable[[Op, Op, Op, Op], str]) -> list[Violation]:
    """MW / WFR across keys (module docstring): for each write ``w`` of a session, the
    newest version of every *other* key its earlier ``earlier`` ops wrote or saw must be
    visible to any other session after it has seen ``w``. One violation per (w, observer)."""
    ops = _checked(history)
    ranker = _Ranker(ops, versions)
    sessions = _sessions(ops)
    found = []
    for process, session in sessions.items():
        for j, w in enumerate(session):
            if w.f not in WRITE_FS or w.status != "ok":
                continue
            needs = _newest_per_key(session[:j], earlier, w.key, ranker)
            if not needs:
                continue
            for observer, theirs in sessions.items():
                if observer != process:
                    hit = _exposes(theirs, w, needs, ranker)
                    if hit is not None:
                        dep, saw, missed = hit
                        found.append(Violation(name, process, dep, w, why(dep, w, saw, missed),
                                               observed_by=(saw, missed)))
    return found


def _newest_per_key(before: list[Op], fs: tuple[str, ...], skip: Any,
                    ranker: _Ranker) -> dict[Any, tuple[int, Op]]:
    """Per key other than ``skip``: the newest version among ``before``'s ``fs`` ops."""
    needs: dict[Any, tuple[int, Op]] = {}
    for op in before:
        if op.f in fs and op.status == "ok" and op.key != skip:
            rank = ranker.rank(op)
            if rank is not None and rank >= 0 and rank > needs.get(op.key, (-1, op))[0]:
                needs[op.key] = (rank, op)
    return needs


def _returned(read: Op, value: Any) -> bool:
    out = read.output
    return value in out.values if isinstance(out, Siblings) else out == value


def _exposes(session: list[Op], w: Op, needs: dict[Any, tuple[int, Op]],
             ranker: _Ranker) -> tuple[Op, Op, Op] | None:
    """(dependency, the read that returned ``w``'s value, the later read that missed the
    dependency). Seeing ``w`` is direct (its value came back), not inferred from the order."""
    for k, saw in enumerate(session):
        if saw.f not in READ_FS or saw.key != w.key or not _returned(saw, w.value):
            continue
        for missed in session[k + 1:]:
            if missed.f in READ_FS and missed.key in needs:
                rank = ranker.rank(missed)
                need, dep = needs[missed.key]
                if rank is not None and rank < need:
                    return dep, saw, missed
        return None  # any later read that saw w has fewer reads after it than this one
    return None


GUARANTEES = {"read-your-writes": read_your_writes, "monotonic-reads": monotonic_reads,
              "monotonic-writes": monotonic_writes, "writes-follow-reads": writes_follow_reads}


def check_sessions(history: History | Sequence[Op],
                   versions: Versions | None = None) -> dict[str, list[Violation]]:
    """All four guarantees: ``{name: violations}`` (every list empty when all hold)."""
    if versions is None:
        versions = version_order(history)
    return {name: fn(history, versions) for name, fn in GUARANTEES.items()}
