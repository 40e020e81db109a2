"""Operations with an interval: what the linearizability checker reads.

The simulator records a history as rows (``invoke`` then ``ok``/``fail``/
``info``, Knossos style, see :mod:`consensus_lab.sim.history`). A checker
wants one object per operation: who (``process``), what (``f`` on ``key``
with input ``value``), what came back (``output``), and the real-time
interval ``[call, ret]`` in which it took effect. ``History.from_sim`` pairs
the rows; ``History.build`` writes small histories by hand.

Statuses: ``ok`` happened with this output; ``fail`` certainly did not
happen (checkers drop it); ``info`` the outcome is unknown — it may take
effect at any time after ``call``, or never, so its ``ret`` is ``math.inf``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

STATUSES = ("ok", "fail", "info")
READS = ("read", "get")  # operations whose only effect is their output


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    """One client operation over the interval ``[call, ret]``.

    ``value`` is the input (a written value, a ``(expected, new)`` pair for
    ``cas``); ``output`` is what came back (the value read, ``True``/``False``
    for ``cas``). Invariant: ``call <= ret``; ``ret`` is ``inf`` iff
    ``status == "info"``.
    """

    id: int
    process: str
    f: str
    key: Any = None
    value: Any = None
    output: Any = None
    call: float = 0
    ret: float = math.inf
    status: str = "ok"

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"op status must be one of {STATUSES}, got {self.status!r}")
        if self.status == "info" and self.ret != math.inf:
            object.__setattr__(self, "ret", math.inf)
        if self.ret < self.call:
            raise ValueError(f"op {self.id} completes (t={self.ret}) before it is "
                             f"invoked (t={self.call})")

    def __str__(self) -> str:
        key = f" {self.key}" if self.key is not None else ""
        if isinstance(self.value, tuple):
            arg = "(" + ", ".join(repr(v) for v in self.value) + ")"
        else:
            arg = f"({self.value!r})" if self.value is not None else ""
        out = f" -> {self.output!r}" if self.status == "ok" and self.output is not None else ""
        if self.f in READS and self.status == "ok":
            arg, out = "", f" -> {self.output!r}"
        end = "?" if self.ret == math.inf else f"{self.ret:g}"
        tail = "" if self.status == "ok" else f" [{self.status}]"
        return f"{self.process} {self.f}{key}{arg}{out} @[{self.call:g},{end}]{tail}"


COLUMNS = ("id", "process", "f", "key", "value", "output", "call", "ret", "status")


@dataclass
class History:
    """A list of :class:`Op`, in no particular order."""

    ops: list[Op] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self) -> Iterator[Op]:
        return iter(self.ops)

    def __getitem__(self, index: int) -> Op:
        return self.ops[index]

    def __str__(self) -> str:
        return "\n".join(str(op) for op in sorted(self.ops, key=lambda o: (o.call, o.id)))

    def add(self, process: str, f: str, value: Any = None, call: float = 0,
            ret: float = math.inf, *, output: Any = None, key: Any = None,
            status: str = "ok") -> Op:
        """Append an operation and return it."""
        op = Op(id=len(self.ops), process=process, f=f, key=key, value=value,
                output=output, call=call, ret=ret, status=status)
        self.ops.append(op)
        return op

    @classmethod
    def build(cls, rows: Iterable[Sequence[Any]]) -> History:
        """A history from short tuples ``(process, f, value, call, ret[, status[, key]])``.

        For reads (``read``/``get``) ``value`` is the value *returned*; for
        ``cas`` it is ``(expected, new)`` and the output is ``True`` unless the
        tuple's status is ``"false"`` (the cas ran and the compare failed).
        ``ret`` is ignored (infinite) for ``info``. Example, the chapter's
        stale read: ``[("c1","write",1,0,10), ("c2","read",1,1,3), ("c3","read",None,4,5)]``.
        """
        history = cls()
        for number, row in enumerate(rows):
            if not 5 <= len(row) <= 7:
                raise ValueError(f"row {number}: expected (process, f, value, call, ret"
                                 f"[, status[, key]]), got {row!r}")
            process, f, value, call, ret = row[:5]
            status = row[5] if len(row) > 5 else "ok"
            key = row[6] if len(row) > 6 else None
            output: Any = None
            if f in READS:
                value, output = None, value
            elif f == "cas":
                output = status != "false"
                status = "ok" if status == "false" else status
            history.add(str(process), f, value, call, ret, output=output, key=key, status=status)
        return history

    @classmethod
    def from_sim(cls, sim_history: Any) -> History:
        """Pair the simulator's invoke rows with their completions.

        An invocation still open at the end of the run becomes ``info``.
        """
        history = cls()
        for inv, comp in sim_history.pairs():
            status = "info" if comp is None else comp.type
            ret = math.inf if comp is None or status == "info" else comp.time
            output = comp.value if comp is not None and status == "ok" else None
            history.add(inv.process, inv.f, inv.value, inv.time, ret, output=output,
                        key=inv.key, status=status)
        return history

    def checkable(self) -> list[Op]:
        """The ops a checker must explain: no ``fail`` ops, no ``info`` reads."""
        return [op for op in self.ops
                if op.status == "ok" or (op.status == "info" and op.f not in READS)]

    def renumbered(self) -> History:
        """A copy whose op ids are 0..n-1 in list order."""
        return History([replace(op, id=i) for i, op in enumerate(self.ops)])

    #: The keys of :meth:`rows`, in order.
    columns = COLUMNS

    def rows(self) -> list[dict[str, Any]]:
        """One dict per op (``consensus_lab.viz.to_dataframe(history)`` for a DataFrame)."""
        return [{c: getattr(op, c) for c in COLUMNS} for op in self.ops]

    @classmethod
    def from_dataframe(cls, frame: Any) -> History:
        """The inverse of ``viz.to_dataframe(history)``: a History from a
        DataFrame (anything with ``columns`` and ``to_dict("records")``;
        missing columns take defaults)."""
        missing = {"process", "f", "call"} - set(frame.columns)
        if missing:
            raise ValueError(f"dataframe needs columns process, f, call; missing {sorted(missing)}")
        history = cls()
        for row in frame.to_dict("records"):
            ret = row.get("ret")
            ret = math.inf if ret is None or (isinstance(ret, float) and math.isnan(ret)) else ret
            history.add(str(row["process"]), row["f"], _none(row.get("value")), row["call"], ret,
                        output=_none(row.get("output")), key=_none(row.get("key")),
                        status=row.get("status", "ok"))
        return history


def _none(x: Any) -> Any:
    """NaN (pandas' missing value) back to None."""
    return None if isinstance(x, float) and math.isnan(x) else x
