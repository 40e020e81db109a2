"""A Multi-Paxos server: Replica + Leader + Acceptor in one sans-I/O node.

Theory of operation
-------------------
Every server runs the three long-lived roles of "Paxos Made Moderately
Complex" (PMMC); the leader's scouts and commanders live inside its
:class:`~.leader.Leader`. ``on_message`` routes a message to its role;
messages between roles of this server go through a local queue
(:class:`~.outbox.Outbox`) that is drained after each event.

Leadership (PMMC §4, failure detection): an active leader sends a
``Heartbeat`` every ``heartbeat_interval``. A server that hears none for a
randomized ``election_timeout`` (150-300 ms, as in Raft) starts a scout
with a ballot above every ballot it has seen. Preempted leaders step back
and wait for the timeout again, so two would-be leaders do not duel.

Timers: ``election`` (passive servers), ``heartbeat`` (the active leader:
heartbeat, and fill slots nobody proposed with no-ops), ``resend`` (every
server: scouts and commanders resend to silent acceptors, the replica
re-proposes its undecided slots).

What survives a crash (``ctx.persist``): the acceptor's promise and accepted
pvalues, and the leader's last round. Replicas rebuild their store by
catching up from the leader.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ...kv import Command
from ...sim import ClientRequest, ConfigError, Context, Node
from ..ballot import Ballot
from .acceptor import Acceptor
from .leader import ADOPTED, PREEMPTED, Leader
from .messages import (
    CatchUp,
    Decision,
    Decisions,
    Heartbeat,
    P1a,
    P1b,
    P2a,
    P2b,
    Propose,
)
from .outbox import Outbox
from .replica import Replica


@dataclass(frozen=True, slots=True, kw_only=True)
class MultiPaxosConfig:
    """Timeouts (ms of the local clock) and sizes of a Multi-Paxos server."""

    election_timeout: tuple[int, int] = (150, 300)
    heartbeat_interval: int = 50
    resend_interval: int = 100  # resend P1a/P2a and re-propose after this long
    window: int = 32  # a replica proposes at most this many slots beyond slot_out

    def __post_init__(self) -> None:
        low, high = self.election_timeout
        if not 0 < low <= high:
            raise ConfigError(f"election_timeout must be (low, high) with 0 < low <= high, "
                              f"got {self.election_timeout}")
        if not 0 < self.heartbeat_interval < low:
            raise ConfigError(f"heartbeat_interval must be in (0, {low}), "
                              f"got {self.heartbeat_interval}")
        for name in ("resend_interval", "window"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ConfigError(f"{name} must be an int >= 1, got {getattr(self, name)!r}")


class MultiPaxosServer(Node):
    """One Multi-Paxos server (replica, leader and acceptor) of a replicated KV store."""

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: MultiPaxosConfig | None = None) -> None:
        super().__init__(node_id, peers)
        self.config = config or MultiPaxosConfig()
        self.servers = tuple(sorted((node_id, *self.peers)))
        self.replica = Replica(node_id, self.config.window)
        self.leader = Leader(node_id, self.servers)
        self.acceptor = Acceptor()
        self._local: deque[Any] = deque()

    # ------------------------------------------------------------ life cycle
    def on_start(self, ctx: Context) -> None:
        """Recover the acceptor and the leader's round; wait for a leader."""
        stored = ctx.stored
        self.acceptor.restore(stored)
        round_ = stored.get("leader_round", 0)
        self.leader.ballot = self.leader.highest_seen = Ballot(round_, self.node_id)
        self.reset_election_timer(ctx)
        ctx.set_timer("resend", self.config.resend_interval)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Route to the role, then handle what the roles sent each other."""
        out = Outbox(ctx, self.servers, self._local)
        self.route(out, src, msg)
        self.drain(out)

    def on_timer(self, ctx: Context, name: str) -> None:
        """election: try to lead. heartbeat: lead on. resend: repair losses."""
        out = Outbox(ctx, self.servers, self._local)
        if name == "election" and not self.leader.active:
            self.leader.start_scout(out, self.replica.slot_out)
            self.reset_election_timer(ctx)  # not adopted by then: try a higher ballot
        elif name == "heartbeat" and self.leader.active:
            self.leader.fill_gaps_and_command(out, self.replica.decisions.__contains__)
            out.to_others(Heartbeat(ballot=self.leader.ballot, slot_out=self.replica.slot_out))
            ctx.set_timer("heartbeat", self.config.heartbeat_interval)
        elif name == "resend":
            self.leader.resend(out, ctx.now - self.config.resend_interval)
            self.replica.repropose(out)
            ctx.set_timer("resend", self.config.resend_interval)
        self.drain(out)

    def on_request(self, ctx: Context, request: ClientRequest) -> None:
        """A client operation: any server takes it; its replica proposes it."""
        value = tuple(request.value) if isinstance(request.value, list) else request.value
        try:  # messages carry immutable values only: a list becomes a tuple
            command = Command(client=request.client, seq=request.seq or request.id,
                              op=request.f, key=request.key, value=value)
        except ValueError as error:
            ctx.reply(request, {"error": str(error)}, ok=False)
            return
        out = Outbox(ctx, self.servers, self._local)
        self.replica.request(out, command, request)
        self.drain(out)

    def submit(self, ctx: Context, command: Any) -> bool:
        """Propose ``command`` without a client waiting (benchmarks; 6.5840's Start)."""
        out = Outbox(ctx, self.servers, self._local)
        self.replica.request(out, command)
        self.drain(out)
        return True

    # ------------------------------------------------------------ routing
    def route(self, out: Outbox, src: str, msg: Any) -> None:
        """Hand ``msg`` to the role it is for (PMMC's process per role)."""
        decided = self.replica.decisions.__contains__
        if isinstance(msg, P2a):
            self.acceptor.on_p2a(out, src, msg)
        elif isinstance(msg, P2b):
            self.leader.on_p2b(out, src, msg)
            self.after_leader_change(out)
        elif isinstance(msg, Decision):
            self.replica.on_decision(out, msg.slot, msg.command)
        elif isinstance(msg, Propose):
            self.leader.on_propose(out, msg.slot, msg.command, decided)
        elif isinstance(msg, P1a):
            self.acceptor.on_p1a(out, src, msg)
        elif isinstance(msg, P1b):
            if self.leader.on_p1b(out, src, msg, decided) in (ADOPTED, PREEMPTED):
                self.after_leader_change(out)
        elif isinstance(msg, Heartbeat):
            self.on_heartbeat(out, src, msg)
        elif isinstance(msg, CatchUp):
            self.replica.on_catch_up(out, src, msg.from_slot)
        elif isinstance(msg, Decisions):
            self.replica.on_decisions(out, msg)

    def drain(self, out: Outbox) -> None:
        """Deliver the roles' messages to each other, in the order they were sent."""
        while self._local:
            self.route(out, self.node_id, self._local.popleft())

    def on_heartbeat(self, out: Outbox, src: str, msg: Heartbeat) -> None:
        """A leader is alive: follow it if its ballot is the highest we know."""
        if msg.ballot < self.leader.highest_seen:
            return  # a deposed leader that has not noticed yet
        if self.leader.active:
            out.ctx.cancel_timer("heartbeat")
        self.leader.preempted(out, msg.ballot)
        self.reset_election_timer(out.ctx)
        self.replica.on_heartbeat(out, src, msg.slot_out)

    def after_leader_change(self, out: Outbox) -> None:
        """Timers and the replica's leader hint follow the leader's state."""
        ctx = out.ctx
        if self.leader.active and self.replica.leader_hint != self.node_id:
            ctx.cancel_timer("election")
            ctx.set_timer("heartbeat", 0)
            self.replica.on_heartbeat(out, self.node_id, 0)
        elif not self.leader.active and self.replica.leader_hint == self.node_id:
            self.replica.leader_hint = self.leader.highest_seen.proposer_id
            ctx.cancel_timer("heartbeat")
            self.reset_election_timer(ctx)

    def reset_election_timer(self, ctx: Context) -> None:
        """A fresh randomized election timeout."""
        low, high = self.config.election_timeout
        ctx.set_timer("election", ctx.rng.randint(low, high))

    # ------------------------------------------------------------ views
    def state_key(self) -> tuple[Any, ...]:
        """The roles' protocol state (no ghosts, no statistics)."""
        return (self.replica.state_key(), self.leader.state_key(), self.acceptor.state_key())

    def view(self) -> dict[str, Any]:
        """Role, ballot and slots, for tables."""
        role = "leader" if self.leader.active else "scout" if self.leader.scout else "-"
        return {"role": role, "ballot": str(self.leader.ballot),
                "promised": str(self.acceptor.promised or "-"),
                "slot_out": self.replica.slot_out, "requests": len(self.replica.requests)}

    def describe(self) -> str:
        """``leader b=2.n1 out=7``."""
        role = "leader" if self.leader.active else "scout" if self.leader.scout else "passive"
        return f"{role} b={self.leader.ballot} out={self.replica.slot_out}"
