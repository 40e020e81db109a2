"""Count the anomalies of a client history: stale reads and lost writes.

Both rules use only what clients saw (the history) plus the values left on
the replicas at the end, and both rest on one notion: a value ``v`` is
**older than** an acknowledged write ``w`` when ``v`` is not ``w``'s value
and the write that produced ``v`` *completed before* ``w`` was invoked (so
any linearizable store must order ``v`` before ``w``). The initial "never
written" state is older than everything; a value whose write never got an
``ok`` (``fail``/``info``/open) is older than nothing.

* A **stale read** returned only values older than some acknowledged write
  that completed before the read began.
* A **lost write** is an acknowledged write whose key ends up (after healing
  and settling) holding only values older than it.

Writes must use distinct values (the experiment's workload does), so a value
names its write. In a linearizable store both counts are always zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..sim import History, Operation
from .versions import Versioned, Write


@dataclass(frozen=True, slots=True)
class Anomalies:
    """The stale reads and lost writes of one run, as (invoke, completion) pairs."""

    stale_reads: tuple[tuple[Operation, Operation], ...]
    lost_writes: tuple[tuple[Operation, Operation], ...]


def read_values(value: Any) -> tuple[Any, ...]:
    """The values a read returned: siblings unpacked, "never written" as ()."""
    if isinstance(value, Versioned):
        return value.values
    return () if value is None else (value,)


def written_value(value: Any) -> Any:
    """The value a write invocation carries (a siblings :class:`Write` unwrapped)."""
    return value.value if isinstance(value, Write) else value


def find_anomalies(history: History, final: Mapping[Any, tuple[Any, ...]]) -> Anomalies:
    """Stale reads and lost writes of ``history``; ``final`` maps key → values at the end."""
    pairs = [(inv, comp) for inv, comp in history.pairs()]
    done_at: dict[Any, float] = {}  # value -> when its write completed ok (inf otherwise)
    acked: dict[Any, list[tuple[Operation, Operation]]] = {}
    for inv, comp in pairs:
        if inv.f != "write":
            continue
        value = written_value(inv.value)
        ok = comp is not None and comp.type == "ok"
        done_at[value] = comp.time if ok and comp is not None else math.inf
        if ok and comp is not None:
            acked.setdefault(inv.key, []).append((inv, comp))

    def older(values: tuple[Any, ...], write: Operation) -> bool:
        mine = written_value(write.value)
        return mine not in values and all(done_at.get(v, math.inf) < write.time
                                          for v in values)

    stale = []
    for inv, comp in pairs:
        if inv.f != "read" or comp is None or comp.type != "ok":
            continue
        values = read_values(comp.value)
        if any(w_comp.time < inv.time and older(values, w_inv)
               for w_inv, w_comp in acked.get(inv.key, [])):
            stale.append((inv, comp))
    lost = [(w_inv, w_comp) for key, writes in sorted(acked.items(), key=lambda kv: repr(kv[0]))
            for w_inv, w_comp in writes if older(tuple(final.get(key, ())), w_inv)]
    return Anomalies(stale_reads=tuple(stale), lost_writes=tuple(lost))
