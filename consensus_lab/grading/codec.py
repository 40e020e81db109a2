"""The wire between the trusted judge and the oracle: framing, and a restricted decoder.

Theory of operation: the judge (:mod:`.oracle`) and the oracle process
(:mod:`.oracle_child`) exchange length-prefixed pickles over a socketpair.
Pickles from the judge to the oracle are ordinary: the oracle is the
untrusted side and may read anything the judge sends. Pickles from the
oracle to the judge go through :class:`RestrictedUnpickler` only, whose
``find_class`` admits builtin scalars and containers, the lab's value classes
listed in :data:`VALUE_CLASSES` and the exceptions in :data:`LAB_EXCEPTIONS` —
never a class the learner defined (so no ``__eq__`` that always says True, no
``int`` subclass, no ``__reduce__`` that runs code here). References to
objects that stay on one side (a learner's ``VectorClock``, a judge's etcd
client or callback) travel as pickle *persistent ids*, resolved by the
receiving side's ``persistent_load``. A decoded value is then walked once:
more than :data:`MAX_NODES` items (a "billion laughs" of shared lists) or
deeper than :data:`MAX_DEPTH` is refused.
"""

from __future__ import annotations

import builtins
import importlib
import io
import pickle
import socket
import struct
from collections.abc import Callable
from typing import Any

#: The largest message the judge accepts from the oracle.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 200
_HEADER = struct.Struct(">I")

_BUILTIN_TYPES = frozenset({
    "int", "float", "complex", "str", "bytes", "bytearray", "bool", "list", "tuple", "dict",
    "set", "frozenset", "slice", "range", "NoneType", "object",
})
#: The lab's value classes a learner's function may return or pass back (module, qualname).
VALUE_CLASSES = frozenset({
    ("consensus_lab.paxos.messages", name)
    for name in ("Accept", "Accepted", "Nack", "Prepare", "Promise", "Query")
} | {
    ("consensus_lab.paxos.ballot", "Ballot"),
    ("consensus_lab.paxos.acceptor", "AcceptorState"),
    ("consensus_lab.paxos.proposer", "ProposerState"),
    ("consensus_lab.paxos.learner", "LearnerState"),
    ("consensus_lab.raft.log", "Log"),
    ("consensus_lab.raft.log", "RaftLog"),  # mutable: merge_entries changes it in place
    ("consensus_lab.kv", "Command"),
    ("consensus_lab.raft.store", "KVValue"),
    ("consensus_lab.spanner.truetime", "TTInterval"),
    ("consensus_lab.consistency.history", "Op"),
    ("consensus_lab.consistency.history", "History"),
} | {
    ("consensus_lab.raft.messages", name)
    for name in ("AppendEntries", "AppendEntriesReply", "InstallSnapshot",
                 "InstallSnapshotReply", "LogEntry", "RequestVote", "RequestVoteReply")
} | {
    ("consensus_lab.etcd.ops", name) for name in ("Compare", "Delete", "Get", "Put", "Txn")
} | {
    ("consensus_lab.etcd.api", name)
    for name in ("DeleteResult", "Event", "KeyValue", "LeaseGrant", "PutResult", "RangeResult",
                 "TxnResult")
})
#: Exceptions of the lab a learner's code may let through (an etcd error from the client).
LAB_EXCEPTIONS = frozenset({
    ("consensus_lab.etcd.errors", name)
    for name in ("EtcdError", "LeaseNotFound", "InvalidRequest", "OutcomeUnknown", "Unavailable")
} | {("consensus_lab.raft.log", "CompactedError"), ("consensus_lab.clocks.errors", "ClockError"),
     ("consensus_lab.clocks.errors", "ClockTypeError")})


class RefusedValue(ValueError):
    """The oracle sent a value the judge does not accept; the message says what and why."""


def allowed_exception(module: str, qualname: str) -> type[BaseException] | None:
    """The exception class ``module.qualname`` if a learner's code may raise it here, else None."""
    if module == "builtins":
        found = getattr(builtins, qualname, None)
        ok = isinstance(found, type) and issubclass(found, Exception)
        return found if ok else None
    if (module, qualname) in LAB_EXCEPTIONS:
        found = getattr(importlib.import_module(module), qualname)
        return found if isinstance(found, type) and issubclass(found, Exception) else None
    return None


class RestrictedUnpickler(pickle.Unpickler):
    """Decode only builtin values, :data:`VALUE_CLASSES` and ids ``resolve`` accepts."""

    def __init__(self, data: bytes, resolve: Callable[[Any], Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._resolve = resolve

    def find_class(self, module: str, name: str) -> Any:
        """The class ``module.name`` when it is allowed; RefusedValue naming it otherwise."""
        if module == "builtins" and name in _BUILTIN_TYPES:
            return type(None) if name == "NoneType" else getattr(builtins, name)
        if (module, name) in VALUE_CLASSES:
            return getattr(importlib.import_module(module), name)
        raise RefusedValue(f"a value of type {module}.{name}: the grader accepts only builtin "
                           "values (int, str, tuple, list, dict, ...) and the lab's own value "
                           "classes, not a class of your own")

    def persistent_load(self, pid: Any) -> Any:
        """A reference to an object that lives on one side (see the module doc)."""
        return self._resolve(pid)


def decode(data: bytes, resolve: Callable[[Any], Any]) -> Any:
    """Decode ``data`` from the oracle; RefusedValue if it holds anything not allowed."""
    try:
        value = RestrictedUnpickler(data, resolve).load()
    except RefusedValue:
        raise
    except Exception as exc:  # a malformed pickle is the oracle's fault, said as such
        raise RefusedValue(f"a message the grader cannot read ({type(exc).__name__}: "
                           f"{exc})") from None
    check_size(value)
    return value


def check_size(value: Any) -> None:
    """RefusedValue if ``value`` has more than MAX_NODES items or nests deeper than MAX_DEPTH."""
    if type(value) in _SCALARS:
        return
    budget = MAX_NODES
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if type(item) in _SCALARS:
            continue
        budget -= 1
        if budget < 0 or depth > MAX_DEPTH:
            why = "too large" if budget < 0 else "nested too deeply"
            raise RefusedValue(f"a value {why} (at most {MAX_NODES:,} items, {MAX_DEPTH} levels)")
        if isinstance(item, dict):
            stack.extend((x, depth + 1) for pair in item.items() for x in pair)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend((x, depth + 1) for x in item)
        elif hasattr(item, "__dataclass_fields__") or hasattr(item, "__slots__"):
            stack.extend((getattr(item, f, None), depth + 1) for f in _fields(item))


_SCALARS = frozenset({int, str, bool, float, bytes, type(None)})


def _fields(item: Any) -> tuple[str, ...]:
    fields = getattr(item, "__dataclass_fields__", None)
    if fields is not None:
        return tuple(fields)
    return tuple(getattr(type(item), "__slots__", ()))


def encode(value: Any, persistent_id: Callable[[Any], Any]) -> bytes:
    """Pickle ``value``, handing ``persistent_id`` every object first (protocol 5)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.persistent_id = persistent_id  # type: ignore[method-assign]
    pickler.dump(value)
    return out.getvalue()


# -- framing -------------------------------------------------------------------------


def send_frame(sock: socket.socket, data: bytes) -> None:
    """Write one length-prefixed message."""
    sock.sendall(_HEADER.pack(len(data)) + data)


def recv_exactly(sock: socket.socket, size: int) -> bytes | None:
    """Block until ``size`` bytes arrive; None at end of stream."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


def recv_frame(sock: socket.socket) -> bytes | None:
    """Block for one message; None at end of stream (the oracle side's reader)."""
    header = recv_exactly(sock, _HEADER.size)
    if header is None:
        return None
    return recv_exactly(sock, _HEADER.unpack(header)[0])


def frame_size(header: bytes) -> int:
    """The body length in ``header``; RefusedValue beyond MAX_MESSAGE_BYTES."""
    size = int(_HEADER.unpack(header)[0])
    if size > MAX_MESSAGE_BYTES:
        raise RefusedValue(f"a message of {size:,} bytes (at most {MAX_MESSAGE_BYTES:,})")
    return size


HEADER_SIZE = _HEADER.size
