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
from typing import Any, cast

from ..kv import Command
from ..raft import RaftConfig, RaftNode, RaftProtocol, RaftState
from ..raft.state import LEADER, evolve
from ..sim import ClientRequest, ConfigError
from ..sim.step import CancelTimer, Effect, Reply, Send, timer

Out = list[Effect]
BAD_OP = "the store takes read and write only (DDIA ch. 9, the partition experiment)"
FORWARD = ("etcd: a follower forwards a proposal to the leader it knows; a forward reaching "
           "a non-leader fails (it was never proposed)")
HOLD = ("etcd: Propose waits while there is no leader, and gives up after op_timeout "
        "(DDIA ch. 9: no majority, no linearizable write)")

#: experiment operation -> Raft KV command op
RAFT_OPS = {"read": "get", "write": "put"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """follower → the leader it knows, any time: carries a client's ``request`` to propose."""

    request: ClientRequest

    def __str__(self) -> str:
        return f"Fwd({self.request})"


@dataclass(frozen=True, slots=True)
class RaftStoreState(RaftState):
    """Raft's state plus the requests waiting for a leader (volatile: a crash forgets
    them and their clients time out), in arrival order."""

    held: tuple[ClientRequest, ...] = ()


class RaftStoreProtocol(RaftProtocol):
    """Raft with forwarding and held requests (see the module docstring)."""

    state_class = RaftStoreState

    def __init__(self, config: RaftConfig | None = None, op_timeout: int = 200) -> None:
        super().__init__(config)
        if not isinstance(op_timeout, int) or op_timeout <= 0:
            raise ConfigError(f"op_timeout must be a positive int of ticks, got {op_timeout!r}")
        self.op_timeout = op_timeout

    def on_request(self, s: RaftState, request: Any, out: Out) -> RaftState:
        """Propose on the leader, forward from a follower, hold while no leader is known."""
        if request.f not in RAFT_OPS:
            out.append(Reply(request, f"unknown operation {request.f!r}; allowed: "
                             f"{', '.join(RAFT_OPS)}", False, BAD_OP))
        elif s.role == LEADER:
            return self._propose(s, request, out)
        elif s.leader_id is not None:
            out.append(Send(s.leader_id, Forward(request=request), FORWARD))
        else:
            assert isinstance(s, RaftStoreState)
            s = evolve(s, held=(*s.held, request))
            out.append(timer(f"held:{request.id}", self.op_timeout, HOLD))
        return s

    def _propose(self, s: RaftState, request: ClientRequest, out: Out) -> RaftState:
        command = Command(client=request.client, seq=request.seq or request.id,
                          op=RAFT_OPS[request.f], key=request.key, value=request.value)
        return self.propose(s, command, request, out)

    def on_message(self, s: RaftState, src: str, msg: Any, out: Out) -> RaftState:
        """A forwarded request, or a Raft message; then release held requests if we can."""
        if isinstance(msg, Forward):
            if s.role == LEADER:
                s = self._propose(s, msg.request, out)
            else:
                out.append(Reply(msg.request, "not leader (forwarded to a deposed leader)",
                                 False, FORWARD))
        else:
            s = super().on_message(s, src, msg, out)
        return self._release_held(s, out)

    def on_timer(self, s: RaftState, name: str, out: Out) -> RaftState:
        """A held request's deadline: fail it; any other timer is Raft's."""
        if name.startswith("held:"):
            assert isinstance(s, RaftStoreState)
            wanted = int(name.removeprefix("held:"))
            for request in s.held:
                if request.id == wanted:
                    s = evolve(s, held=tuple(r for r in s.held if r.id != wanted))
                    out.append(Reply(request, "no leader", False, HOLD))
            return s
        return self._release_held(super().on_timer(s, name, out), out)

    def _release_held(self, s: RaftState, out: Out) -> RaftState:
        """Once a leader is known, send every held request on (in arrival order)."""
        assert isinstance(s, RaftStoreState)
        if not s.held or (s.role != LEADER and s.leader_id is None):
            return s
        waiting, s = s.held, evolve(s, held=())
        for request in waiting:
            out.append(CancelTimer(f"held:{request.id}", HOLD))
            s = self.on_request(s, request, out)
        return s


class RaftStoreNode(RaftNode):
    """A Raft server that takes client requests on any node (see the module docstring)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], *, op_timeout: int = 200,
                 config: RaftConfig | None = None) -> None:
        super().__init__(node_id, peers, protocol=RaftStoreProtocol(config, op_timeout))

    @property
    def op_timeout(self) -> int:
        return cast(RaftStoreProtocol, self.protocol).op_timeout

    @property
    def held(self) -> dict[int, ClientRequest]:
        """Requests waiting for a leader, by request id, in arrival order."""
        return {r.id: r for r in cast(RaftStoreState, self.raft).held}

    def value_of(self, key: Any) -> Any:
        """The value this node's applied state holds for ``key`` (None if never written)."""
        return self.store.data.get(key)
