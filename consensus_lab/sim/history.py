"""Client histories in the Knossos / Porcupine form.

Every client operation appears twice: an ``invoke`` when the client sends
it, then its completion: ``ok`` (it happened, with this result), ``fail``
(it certainly did not happen) or ``info`` (the client gave up waiting: it
may or may not have happened). Checkers (linearizability and friends) read
these histories; ``History.pairs()`` matches each invocation with its
completion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

OP_TYPES = ("invoke", "ok", "fail", "info")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientRequest:
    """client → node: one operation ``f`` on ``key`` with ``value``.

    ``id`` is unique in the run; a node answers with a ``Reply(request, …)`` effect.
    """

    id: int
    client: str
    f: str
    key: Any = None
    value: Any = None
    seq: int = 0  # the client's number for this operation; a retry repeats it

    def __str__(self) -> str:
        key = f" {self.key}" if self.key is not None else ""
        value = f"={self.value!r}" if self.value is not None else ""
        return f"Req#{self.id}({self.client} {self.f}{key}{value})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One line of a history: an invocation or a completion."""

    index: int
    process: str
    type: str
    f: str
    key: Any = None
    value: Any = None
    time: int = 0
    request_id: int = -1

    def __str__(self) -> str:
        key = f" {self.key}" if self.key is not None else ""
        return f"t={self.time:04d} {self.process} {self.type:6} {self.f}{key} {self.value!r}"


@dataclass
class History:
    """The ordered operations of every client in a run."""

    ops: list[Operation] = field(default_factory=list)

    def add(self, process: str, type: str, f: str, key: Any, value: Any,
            time: int, request_id: int = -1) -> Operation:
        """Append an operation; ``type`` must be one of invoke/ok/fail/info."""
        if type not in OP_TYPES:
            raise ValueError(f"operation type must be one of {OP_TYPES}, got {type!r}")
        op = Operation(index=len(self.ops), process=process, type=type, f=f, key=key,
                       value=value, time=time, request_id=request_id)
        self.ops.append(op)
        return op

    def __len__(self) -> int:
        return len(self.ops)

    def __iter__(self) -> Iterator[Operation]:
        return iter(self.ops)

    def __str__(self) -> str:
        return "\n".join(str(op) for op in self.ops)

    def pairs(self) -> list[tuple[Operation, Operation | None]]:
        """Each invocation with its completion (None while still open)."""
        done = {op.request_id: op for op in self.ops if op.type != "invoke"}
        return [(op, done.get(op.request_id)) for op in self.ops if op.type == "invoke"]

    def open_requests(self) -> list[Operation]:
        """Invocations that have no completion yet."""
        return [inv for inv, comp in self.pairs() if comp is None]

    #: The keys of :meth:`rows`, in order.
    columns = ("index", "process", "type", "f", "key", "value", "time", "request_id")

    def rows(self) -> list[dict[str, Any]]:
        """One dict per operation (``consensus_lab.viz.to_dataframe(history)`` for a DataFrame)."""
        return [{c: getattr(op, c) for c in self.columns} for op in self.ops]
