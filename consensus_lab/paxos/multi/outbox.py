"""What one step of a Multi-Paxos server emits, and how its roles talk to each other.

A Multi-Paxos server runs a replica, a leader and an acceptor together (the
usual deployment; PMMC §3 notes roles may share a process). A message from
one role to another role of the *same* server is not a network message: it
goes into a local queue, and the server handles the queue right after the
input that filled it, within the same step — so it is not counted, cannot
be lost, and is still handled in a fixed order, never reentrantly inside
another handler.

An :class:`Outbox` lives for one step only: the roles append effects to it
in the order the protocol requires, and the step returns them as a tuple.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ...sim.history import ClientRequest
from ...sim.step import CancelTimer, Effect, Effects, Note, Persist, Reply, Send, SetTimer


class Outbox:
    """Effects of one step at one server, and its local queue of role-to-role messages."""

    __slots__ = ("node_id", "servers", "now", "effects", "local")

    def __init__(self, node_id: str, servers: tuple[str, ...], now: int = 0) -> None:
        self.node_id = node_id
        self.servers = servers  # every server, this one included, sorted
        self.now = now  # the local clock when the input arrived
        self.effects: list[Effect] = []
        self.local: deque[Any] = deque()

    def send(self, dst: str, msg: Any, rule: str) -> None:
        """To ``dst``: through the network, or the local queue when it is this server."""
        if dst == self.node_id:
            self.local.append(msg)
        else:
            self.effects.append(Send(dst, msg, rule))

    def to_all(self, msg: Any, rule: str) -> None:
        """To every server (this one through the local queue), in id order."""
        for dst in self.servers:
            self.send(dst, msg, rule)

    def to_others(self, msg: Any, rule: str) -> None:
        """To every other server, in id order."""
        for dst in self.servers:
            if dst != self.node_id:
                self.effects.append(Send(dst, msg, rule))

    def persist(self, key: str, value: Any, rule: str) -> None:
        """Write ``value`` (immutable) under ``key`` to stable storage."""
        self.effects.append(Persist(key, value, rule))

    def timer(self, name: str, low: int, high: int, rule: str) -> None:
        """(Re)arm ``name`` for a duration drawn from ``[low, high]``."""
        self.effects.append(SetTimer(name, low, high, rule))

    def cancel(self, name: str, rule: str) -> None:
        """Forget the timer ``name``."""
        self.effects.append(CancelTimer(name, rule))

    def reply(self, request: ClientRequest, value: Any, rule: str, ok: bool = True) -> None:
        """Answer a client operation."""
        self.effects.append(Reply(request, value, ok, rule))

    def note(self, text: str, rule: str) -> None:
        """A line in the trace at this server."""
        self.effects.append(Note(text, rule))

    def done(self) -> Effects:
        """The effects, in order (the local queue must be empty by now)."""
        if self.local:
            raise RuntimeError(f"{self.node_id}: {len(self.local)} local messages not handled")
        return tuple(self.effects)
