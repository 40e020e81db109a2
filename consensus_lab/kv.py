"""The replicated key-value state machine that a consensus log drives.

Neutral ground shared by the protocols: Raft's log (§8 of the Raft paper),
Multi-Paxos' decided slots and the Raft-backed store in ``stores`` all apply
these commands; it imports only the standard library and no protocol.

Commands are applied in log order on every node, so every node's store goes
through the same states. Client sessions make a retried command take effect
once: each client numbers its commands; the store remembers, per client, the
highest number applied and its result, and answers a duplicate from that
memory instead of applying it again (§8, "linearizable semantics").
Reads go through the log too, so a read sees every write committed before it
was appended: the simplest way to make reads linearizable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPS = ("get", "put", "append", "cas", "noop")


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """One client command as it sits in the log: ``client``'s ``seq``-th ``op``."""

    client: str
    seq: int
    op: str
    key: Any = None
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown command op {self.op!r}; allowed: {', '.join(OPS)}")
        if self.op == "cas" and not (isinstance(self.value, tuple | list)
                                     and len(self.value) == 2):
            raise ValueError(f"cas needs value=(expected, new), got {self.value!r}")

    def __str__(self) -> str:
        if self.op == "noop":
            return "noop"
        value = "" if self.value is None else f"={self.value}"
        return f"{self.op} {self.key}{value}"


ABSENT = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()  # a key with no value
UNCHANGED = type("Unchanged", (), {"__repr__": lambda self: "UNCHANGED"})()  # nothing written


def outcome(command: Command, current: Any) -> tuple[Any, Any]:
    """``(value written, result)`` of ``command`` on a key holding ``current``.

    ``current`` is :data:`ABSENT` when the key has no value; the value
    written is :data:`UNCHANGED` when the command writes nothing. The one
    definition of what each operation does, shared by :class:`KVStore` and
    the immutable store Raft keeps in its state.
    """
    value = command.value
    if command.op == "get":
        return UNCHANGED, None if current is ABSENT else current
    if command.op == "put":
        return value, value
    if command.op == "append":
        written = ("" if current is ABSENT else str(current)) + str(value)
        return written, written
    expected, new = value  # cas: value = (expected, new)
    if (None if current is ABSENT else current) != expected:
        return UNCHANGED, False
    return new, True


class KVStore:
    """A dict with client sessions; ``apply`` is deterministic."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.sessions: dict[str, tuple[int, Any]] = {}  # client -> (last seq, its result)

    def apply(self, command: Any) -> Any:
        """Apply ``command`` once; a duplicate returns the remembered result.

        A command that is not a :class:`Command` (tests replicate plain
        values, as 6.5840 does) changes nothing and is its own result.
        """
        if not isinstance(command, Command):
            return command
        if command.op == "noop":
            return None
        last = self.sessions.get(command.client)
        if last is not None and command.seq <= last[0]:
            return last[1] if command.seq == last[0] else "stale duplicate"
        result = self._run(command)
        self.sessions[command.client] = (command.seq, result)
        return result

    def _run(self, command: Command) -> Any:
        written, result = outcome(command, self.data.get(command.key, ABSENT))
        if written is not UNCHANGED:
            self.data[command.key] = written
        return result

    def snapshot(self) -> tuple[tuple[Any, Any], ...]:
        """The whole state as an immutable value (for a Raft snapshot)."""
        return (tuple(sorted(self.data.items(), key=repr)),
                tuple(sorted(self.sessions.items())))  # type: ignore[return-value]

    @classmethod
    def restore(cls, snapshot: Any) -> KVStore:
        """A store holding the state ``snapshot`` captured."""
        store = cls()
        if snapshot:
            data, sessions = snapshot
            store.data = dict(data)
            store.sessions = dict(sessions)
        return store
