"""The replica's key-value store as an immutable value (:class:`StoreValue`).

The same state machine Raft drives (:class:`~consensus_lab.kv.KVStore`):
client sessions make a retried command take effect once, and what each
operation does is :func:`~consensus_lab.kv.outcome`, the one definition
both share. Here the data and the sessions are :class:`~.pmap.PMap`\\ s, so
performing a command copies one path of each, not the whole store.
"""

from __future__ import annotations

from typing import Any

from ...kv import ABSENT, UNCHANGED, Command, outcome
from ...sim.step import Value, frozen
from .pmap import EMPTY, PMap


@frozen
class StoreValue(Value):
    """Keys and values, and per client the last command's ``(seq, result)``."""

    keys: PMap = EMPTY
    sessions: PMap = EMPTY

    @property
    def data(self) -> dict[Any, Any]:
        """The keys and values as a fresh dict, sorted by the repr of the key."""
        return dict(self.keys.sorted_items())

    def apply(self, command: Any) -> tuple[StoreValue, Any]:
        """(the store after ``command``, its result); a duplicate returns the remembered one.

        A no-op changes nothing; a value that is not a :class:`Command` (tests
        replicate plain values) changes nothing and is its own result.
        """
        if not isinstance(command, Command):
            return self, command
        if command.op == "noop":
            return self, None
        last = self.sessions.get(command.client)
        if last is not None and command.seq <= last[0]:
            return self, last[1] if command.seq == last[0] else "stale duplicate"
        written, result = outcome(command, self.keys.get(command.key, ABSENT))
        keys = self.keys if written is UNCHANGED else self.keys.set(command.key, written)
        return StoreValue(keys, self.sessions.set(command.client, (command.seq, result))), result


EMPTY_STORE = StoreValue()
