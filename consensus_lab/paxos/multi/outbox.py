"""How the roles inside one server send: over the network, or to themselves.

A Multi-Paxos server runs a replica, a leader and an acceptor together (the
usual deployment; PMMC §3 notes roles may share a process). A message from
one role to another role of the *same* server is not a network message: it
goes into a local queue, and the server handles the queue right after the
event that filled it — so it is not counted, cannot be lost, and is still
handled in a fixed order, never reentrantly inside another handler.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ...sim import Context


class Outbox:
    """Sends for one event at one server: ``send``, ``to_all`` and ``to_others``."""

    __slots__ = ("ctx", "servers", "local")

    def __init__(self, ctx: Context, servers: tuple[str, ...], local: deque[Any]) -> None:
        self.ctx = ctx
        self.servers = servers  # every server, this one included, sorted
        self.local = local

    def send(self, dst: str, msg: Any) -> None:
        """To ``dst``: through the network, or the local queue when it is this server."""
        if dst == self.ctx.node_id:
            self.local.append(msg)
        else:
            self.ctx.send(dst, msg)

    def to_all(self, msg: Any) -> None:
        """To every server (this one through the local queue), in id order."""
        for dst in self.servers:
            self.send(dst, msg)

    def to_others(self, msg: Any) -> None:
        """To every other server, in id order."""
        for dst in self.servers:
            if dst != self.ctx.node_id:
                self.ctx.send(dst, msg)
