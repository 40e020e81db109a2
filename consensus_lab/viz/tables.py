"""Tables of simulator state as pandas DataFrames.

* :func:`nodes_table` — one row per node: its status and ``view()``.
* :func:`pending_table` — every pending event in the order it would fire.
* :func:`trace_table` — trace records (optionally only the last ones).
* :func:`to_dataframe` — anything below ``viz`` with ``rows()`` (a trace, a
  client history, a checker's history, a lock story) as a DataFrame.

Messages are shown by their ``str`` (the compact trace form) so a table
renders the same way in a notebook, a test and a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..sim.trace import Trace, TraceRecord

PENDING_COLUMNS = ["id", "time", "kind", "src", "node", "message", "name"]


def nodes_table(sim: Any) -> pd.DataFrame:
    """One row per node (index ``node``): ``status`` and every ``view()`` item.

    Values keep their Python types (object columns); a crashed node has no
    view, so its other cells are empty strings rather than NaN.
    """
    view = sim.view()
    columns = list(dict.fromkeys(k for row in view.values() for k in row))
    rows = [[view[n].get(c, "") for c in columns] for n in sim.node_ids]
    return pd.DataFrame(rows, columns=columns, dtype=object,
                        index=pd.Index(list(sim.node_ids), name="node"))


def pending_table(sim: Any) -> pd.DataFrame:
    """Every pending event, in firing order (columns: id, time, kind, src, node, ...)."""
    rows = [
        {"id": e.id, "time": e.time, "kind": e.kind, "src": e.src, "node": e.node,
         "message": "" if e.msg is None else str(e.msg), "name": e.name}
        for e in sim.pending()
    ]
    return pd.DataFrame(rows, columns=PENDING_COLUMNS)


def trace_table(trace: Trace | Iterable[TraceRecord], last: int | None = None) -> pd.DataFrame:
    """The trace as a DataFrame, one row per record; ``last`` keeps the last ones."""
    records = list(trace.records if isinstance(trace, Trace) else trace)
    if last is not None:
        if last < 0:
            raise ValueError(f"last must be a number of records >= 0 or None, got {last}")
        records = records[len(records) - last:] if last else []
    return to_dataframe(Trace(records))


def to_dataframe(table: Any) -> pd.DataFrame:
    """``table.rows()`` as a DataFrame, with ``table.columns`` (when it has them) in order.

    The core builds rows of plain values and never imports pandas; this is
    where a :class:`~consensus_lab.sim.Trace`, a simulator or checker
    ``History``, or an etcd lock ``Story`` becomes a table.
    """
    columns = getattr(table, "columns", None)
    return pd.DataFrame(table.rows(), columns=None if columns is None else list(columns))
