"""Traces: what happened in a run, one record per event or effect.

A record has a one-line ``str`` such as ``t=0042 n1->n3 App(t=2 n=1)``.
Records are written at fixed points: start, send, deliver, drop, duplicate,
timer, note, nemesis, hold (an event waiting for a paused node), invoke and
complete (client operations). ``digest()`` is a SHA-256 of the canonical
text of every record, so two runs are the same run exactly when their
digests are equal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

KINDS = (
    "start", "send", "deliver", "drop", "duplicate", "timer",
    "note", "nemesis", "hold", "invoke", "complete",
)


class TraceRecord(NamedTuple):
    """One thing that happened.

    ``node`` is where it happened (for a send, the sender; for a deliver,
    the receiver); ``peer`` is the other end of a message; ``msg_id`` ties a
    send to its deliveries or drop; ``state`` is the node's ``describe()``
    right after the event.
    """

    step: int
    time: int
    kind: str
    node: str = ""
    peer: str = ""
    msg_id: int = -1
    message: Any = None
    detail: str = ""
    state: str = ""
    rule: str = ""  # the rule of the protocol that made this effect (a step protocol's)

    def __str__(self) -> str:
        where = self._where()
        what = str(self.message) if self.message is not None else ""
        parts = [f"t={self.time:04d}", where, what or self.kind]
        if what and self.kind not in ("send",):
            parts[2] = f"{self.kind} {what}"
        if self.detail:
            parts.append(self.detail)
        if self.state:
            parts.append(f"| {self.state}")
        if self.rule:
            parts.append(f"[{self.rule}]")
        return " ".join(p for p in parts if p)

    def _where(self) -> str:
        if self.kind in ("send", "duplicate"):
            return f"{self.node}->{self.peer}"
        if self.kind in ("deliver", "drop") and self.peer:
            return f"{self.peer}->{self.node}"
        return self.node

    def canonical(self) -> str:
        """The text hashed by ``Trace.digest``: every field, in a fixed order
        (``rule`` only when there is one, so traces without rules hash as before)."""
        message = repr(self.message) if self.message is not None else ""
        fields = (str(self.step), str(self.time), self.kind, self.node, self.peer,
                  str(self.msg_id), message, self.detail, self.state)
        return "\t".join((*fields, self.rule) if self.rule else fields)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict; the message becomes its ``str`` and type name."""
        row = self._asdict()
        row["message"] = str(self.message) if self.message is not None else None
        row["message_type"] = type(self.message).__name__ if self.message is not None else None
        return row


class Trace:
    """An append-only list of :class:`TraceRecord` with views for people."""

    def __init__(self, records: list[TraceRecord] | None = None) -> None:
        self.records: list[TraceRecord] = records if records is not None else []

    def append(self, record: TraceRecord) -> None:
        """Add one record (the simulator does this)."""
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[TraceRecord]:
        return iter(self.records)

    def __getitem__(self, index: int) -> TraceRecord:
        return self.records[index]

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self.records)

    def __repr__(self) -> str:
        return f"<Trace of {len(self.records)} records, digest {self.digest()[:12]}>"

    def filter(
        self,
        kind: str | tuple[str, ...] | None = None,
        node: str | None = None,
        predicate: Callable[[TraceRecord], bool] | None = None,
    ) -> Trace:
        """The records matching every given condition, as a new Trace."""
        kinds = (kind,) if isinstance(kind, str) else kind
        if kinds is not None:
            unknown = [k for k in kinds if k not in KINDS]
            if unknown:
                raise ValueError(f"unknown trace kind {unknown[0]!r}; allowed: {', '.join(KINDS)}")

        def keep(r: TraceRecord) -> bool:
            return (
                (kinds is None or r.kind in kinds)
                and (node is None or node in (r.node, r.peer))
                and (predicate is None or predicate(r))
            )

        return Trace([r for r in self.records if keep(r)])

    def until(self, step: int) -> Trace:
        """The records of the first ``step`` steps."""
        return Trace([r for r in self.records if r.step <= step])

    def tail(self, n: int = 10) -> str:
        """The last ``n`` records, one per line."""
        return "\n".join(str(r) for r in self.records[-n:])

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical text of every record."""
        h = hashlib.sha256()
        for record in self.records:
            h.update(record.canonical().encode())
            h.update(b"\n")
        return h.hexdigest()

    #: The keys of :meth:`rows`, in order.
    columns = ("step", "time", "kind", "node", "peer", "msg_id", "message", "detail", "state",
               "rule", "message_type")

    def rows(self) -> list[dict[str, Any]]:
        """One dict per record (``consensus_lab.viz.to_dataframe(trace)`` for a DataFrame)."""
        return [{**r.to_json()} for r in self.records]

    def to_jsonl(self, target: str | Path | IO[str]) -> None:
        """Write one JSON object per line to a path or an open text file."""
        if isinstance(target, str | Path):
            with open(target, "w", encoding="utf-8") as f:
                self.to_jsonl(f)
            return
        for record in self.records:
            target.write(json.dumps(record.to_json(), sort_keys=True) + "\n")
