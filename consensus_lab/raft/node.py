"""A Raft server in the simulator: :class:`RaftNode`, a StepNode over RaftProtocol.

Every decision is :class:`~.protocol.RaftProtocol`'s pure ``step``; the
node only keeps the current :class:`~.state.RaftState` (``node.state``); the
simulator steps it and carries out the effects. The read-only
properties below are what the invariants, diagrams, notebooks and tests
read (``node.current_term``, ``node.log``, ``node.next_index`` ...); maps
come back as fresh dicts, so nothing outside can change the state.

``submit(command)`` is 6.5840's ``Start(command)`` for
``sim.call(node, "submit", command)``: it asks for one :class:`~.state.Submit`
step (a :class:`~consensus_lab.sim.step.Call`), answered with
``(index, term, is_leader)``.
"""

from __future__ import annotations

from typing import Any

from ..sim import ClientRequest
from ..sim.step import Call, StepNode
from .config import RaftConfig
from .log import Log
from .protocol import RaftProtocol
from .rules import RaftRules
from .state import CANDIDATE, FOLLOWER, LEADER, TRANSITIONS, RaftState, Submit

__all__ = ["CANDIDATE", "FOLLOWER", "LEADER", "TRANSITIONS", "RaftConfig", "RaftNode"]


class RaftNode(StepNode[RaftState]):
    """One Raft server with a replicated key-value store."""

    protocol: RaftProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...], config: RaftConfig | None = None,
                 rules: RaftRules | None = None, *,
                 protocol: RaftProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or RaftProtocol(config, rules))
        self.state = self.protocol.state_class(  # readable before the first start
            node_id, tuple(peers), store=self.protocol.restore_store(None))

    def submit(self, command: Any) -> Call:
        """Start agreement on ``command``: (index, term, is_leader), like 6.5840's Start()."""
        before = self._state()
        if before.role != LEADER:
            return Call(Submit(command), (-1, before.current_term, False))
        return Call(Submit(command), (before.log.last_index + 1, before.current_term, True))

    # ------------------------------------------------------------ read-only views
    @property
    def config(self) -> RaftConfig:
        """The protocol's timeouts and switches."""
        return self.protocol.config

    @property
    def raft(self) -> RaftState:
        """The current state value (never None)."""
        return self._state()

    @property
    def current_term(self) -> int:
        return self.raft.current_term

    @property
    def voted_for(self) -> str | None:
        return self.raft.voted_for

    @property
    def log(self) -> Log:
        return self.raft.log

    @property
    def snapshot_data(self) -> Any:
        return self.raft.snapshot_data

    @property
    def role(self) -> str:
        return self.raft.role

    @property
    def leader_id(self) -> str | None:
        return self.raft.leader_id

    @property
    def commit_index(self) -> int:
        return self.raft.commit_index

    @property
    def last_applied(self) -> int:
        return self.raft.last_applied

    @property
    def store(self) -> Any:
        return self.raft.store

    @property
    def applied(self) -> tuple[tuple[int, int, Any], ...]:
        return self.raft.applied

    @property
    def pending(self) -> dict[int, tuple[ClientRequest, int]]:
        """index -> (request, term) of the client requests waiting for their entry."""
        return {index: (request, term) for index, request, term in self.raft.pending}

    @property
    def log_dirty(self) -> bool:
        return self.raft.log_dirty

    @property
    def votes(self) -> frozenset[str]:
        return self.raft.votes

    @property
    def next_index(self) -> dict[str, int]:
        return dict(self.raft.next_index)

    @property
    def match_index(self) -> dict[str, int]:
        return dict(self.raft.match_index)

    @property
    def probing(self) -> frozenset[str]:
        return self.raft.probing

    def quorum(self) -> int:
        """How many servers make a majority."""
        return self.raft.quorum()
