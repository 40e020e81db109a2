"""The Raft KV as an etcd-like store for the partition experiment.

Theory of operation (DDIA ch. 9, "the cost of linearizability": etcd refuses
writes without a majority): the experiment's clients each talk to *their
own* node, but only a Raft leader may propose. :class:`RaftStoreNode` adds
what etcd's server does around its Raft core and nothing else:

* **Forwarding.** A follower that knows the leader forwards the client's
  request to it (:class:`Forward`); the leader proposes it and answers the
  client once the entry is applied (reads go through the log too, so they
  are linearizable, :mod:`consensus_lab.kv`). A forwarded request that
  reaches a node that no longer leads fails at once: it was never proposed.
* **No leader, no answer.** A node that knows no leader holds the request
  until one is elected (etcd's ``Propose`` blocks while there is no
  leader); after ``op_timeout`` it gives up with ``fail`` ("no leader").
  On the minority side of a partition the followers soon lose their leader
  and fail everything; an old leader cut off there keeps proposing entries
  that can never commit, so its clients time out (``info``).

The experiment's ``read`` / ``write`` become the KV's ``get`` / ``put``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..kv import Command
from ..raft.config import RaftConfig
from ..raft.node import LEADER, RaftNode
from ..sim import ClientRequest, ConfigError, Context

#: experiment operation -> Raft KV command op
RAFT_OPS = {"read": "get", "write": "put"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """follower → the leader it knows, any time: carries a client's ``request`` to propose."""

    request: ClientRequest

    def __str__(self) -> str:
        return f"Fwd({self.request})"


class RaftStoreNode(RaftNode):
    """A Raft server that takes client requests on any node (see the module docstring)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], *, op_timeout: int = 200,
                 config: RaftConfig | None = None) -> None:
        super().__init__(node_id, peers, config=config)
        if not isinstance(op_timeout, int) or op_timeout <= 0:
            raise ConfigError(f"op_timeout must be a positive int of ticks, got {op_timeout!r}")
        self.op_timeout = op_timeout
        # Requests waiting for a leader, by request id, in arrival order. Volatile: a crash
        # forgets them and their clients time out.
        self.held: dict[int, ClientRequest] = {}

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """Propose on the leader, forward from a follower, hold while no leader is known."""
        if request.f not in RAFT_OPS:
            ctx.reply(request, f"unknown operation {request.f!r}; allowed: "
                      f"{', '.join(RAFT_OPS)}", ok=False)
        elif self.role == LEADER:
            self._propose(ctx, request)
        elif self.leader_id is not None:
            ctx.send(self.leader_id, Forward(request=request))
        else:
            self.held[request.id] = request
            ctx.set_timer(f"held:{request.id}", self.op_timeout)

    def _propose(self, ctx: Context, request: ClientRequest) -> None:
        command = Command(client=request.client, seq=request.seq or request.id,
                          op=RAFT_OPS[request.f], key=request.key, value=request.value)
        index, _, _ = self.submit(ctx, command)
        self.pending[index] = (request, self.current_term)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """A forwarded request, or a Raft message; then release held requests if we can."""
        if isinstance(msg, Forward):
            if self.role == LEADER:
                self._propose(ctx, msg.request)
            else:
                ctx.reply(msg.request, "not leader (forwarded to a deposed leader)", ok=False)
        else:
            super().on_message(ctx, src, msg)
        self._release_held(ctx)

    def on_timer(self, ctx: Context, name: str) -> None:
        """A held request's deadline: fail it; any other timer is Raft's."""
        if name.startswith("held:"):
            request = self.held.pop(int(name.removeprefix("held:")), None)
            if request is not None:
                ctx.reply(request, "no leader", ok=False)
            return
        super().on_timer(ctx, name)
        self._release_held(ctx)

    def _release_held(self, ctx: Context) -> None:
        """Once a leader is known, send every held request on (in arrival order)."""
        if not self.held or (self.role != LEADER and self.leader_id is None):
            return
        waiting, self.held = list(self.held.values()), {}
        for request in waiting:
            ctx.cancel_timer(f"held:{request.id}")
            self.on_request(ctx, request)

    def value_of(self, key: Any) -> Any:
        """The value this node's applied state holds for ``key`` (None if never written)."""
        return self.store.data.get(key)
