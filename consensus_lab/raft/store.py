"""The replicated key-value store as an immutable value (:class:`KVValue`).

A :class:`~.state.RaftState` holds the state machine it has applied the
log to. That must be a value like the rest of the state, so this is the
:class:`~consensus_lab.kv.KVStore` frozen: its data and client sessions as
sorted tuples of pairs — exactly the store's snapshot (§7), so taking a
snapshot costs nothing and restoring one is free.

``apply`` returns the next store and the command's result. Commands that
are not a :class:`~consensus_lab.kv.Command` (tests replicate plain values,
as 6.5840 does) change nothing and cost nothing; a real command goes
through :class:`KVStore`, so the two stores can never disagree.
"""

from __future__ import annotations

from typing import Any

from ..kv import Command, KVStore
from ..sim.step import Value, frozen


@frozen
class KVValue(Value):
    """A key-value store with client sessions, as an immutable value."""

    items: tuple[tuple[Any, Any], ...] = ()  # sorted by repr of the key
    session_items: tuple[tuple[str, tuple[int, Any]], ...] = ()  # sorted by client

    @property
    def data(self) -> dict[Any, Any]:
        """The keys and values, as a fresh dict."""
        return dict(self.items)

    @property
    def sessions(self) -> dict[str, tuple[int, Any]]:
        """client -> (last seq, its result), as a fresh dict."""
        return dict(self.session_items)

    def apply(self, command: Any) -> tuple[KVValue, Any]:
        """(the store after ``command``, its result); a duplicate returns the remembered one."""
        if not isinstance(command, Command) or command.op == "noop":
            return self, KVStore().apply(command)
        store = KVStore.restore(self.snapshot())
        result = store.apply(command)
        return KVValue.restore(store.snapshot()), result

    def snapshot(self) -> tuple[tuple[tuple[Any, Any], ...], tuple[tuple[str, Any], ...]]:
        """The whole state as a :meth:`KVStore.snapshot` value."""
        return self.items, self.session_items

    @classmethod
    def restore(cls, snapshot: Any) -> KVValue:
        """The store a :meth:`KVStore.snapshot` value (or None: empty) describes."""
        if not snapshot:
            return EMPTY_STORE
        data, sessions = snapshot
        return cls(tuple(data), tuple(sessions))


EMPTY_STORE = KVValue()
