"""A Multi-Paxos server: Replica + Leader + Acceptor in one step function.

Theory of operation
-------------------
Every server runs the three long-lived roles of "Paxos Made Moderately
Complex" (PMMC); the leader's scouts and commanders live inside its
:class:`~.leader.LeaderState`. :meth:`MultiPaxosProtocol.step` routes a
message to its role; messages between roles of this server go through the
step's local queue (:class:`~.outbox.Outbox`), drained before the step
returns. The state is a :class:`MultiPaxosState` value holding the three
roles' states; each role is a module of pure functions over its own state.

Leadership (PMMC §4, failure detection): an active leader sends a
``Heartbeat`` every ``heartbeat_interval``. A server that hears none for a
randomized ``election_timeout`` (150-300 ms, as in Raft) starts a scout
with a ballot above every ballot it has seen. Preempted leaders step back
and wait for the timeout again, so two would-be leaders do not duel.

Timers: ``election`` (passive servers), ``heartbeat`` (the active leader:
heartbeat, and fill slots nobody proposed with no-ops), ``resend`` (every
server: scouts and commanders resend to silent acceptors, the replica
re-proposes its undecided slots).

What survives a crash (``Persist`` effects): the acceptor's promise and
accepted pvalues, and the leader's last round; ``start`` rebuilds the
state from them alone. Replicas rebuild their store by catching up from
the leader.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from ...kv import Command
from ...sim import ClientRequest, ConfigError
from ...sim.step import (
    Call,
    Deliver,
    Effects,
    Fire,
    Input,
    Persist,
    Request,
    StepProtocol,
    Value,
    frozen,
)
from ..node import RoleNode, StateField
from . import acceptor, leader, replica
from .acceptor import AcceptorState
from .leader import ADOPTED, PREEMPTED, LeaderState
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
    PValue,
)
from .outbox import Outbox
from .replica import ReplicaState

ELECTION = ("PMMC §4 failure detection (timeouts randomized as in Raft §5.2): a server that "
            "hears no leader for an election timeout tries to lead")
HEARTBEAT = ("PMMC §4 failure detection: an active leader tells every other server it is "
             "alive, and how far it has performed, every heartbeat_interval")
RESEND_TIMER = ("PMMC assumes reliable links; here every server repairs losses every "
                "resend_interval")
FOLLOW = ("PMMC §4: a server that hears a live leader with the highest ballot follows it and "
          "waits a fresh election timeout")
LEAD = "PMMC Fig. 7 adopted: the server's leader is active; it heartbeats instead of electing"
STEP_DOWN = ("PMMC Fig. 7 preempted: the server's leader is passive again; it follows the "
             "higher ballot and waits for an election timeout")
BAD_COMMAND = "a command the store cannot run fails at once and never takes a slot"


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


@frozen
class Submit(Value):
    """An input: propose ``command`` with no client waiting (benchmarks; 6.5840's Start),
    at local time ``now``."""

    command: Any
    now: int = 0


@frozen
class MultiPaxosState(Value):
    """One server: who it is, and the states of its replica, leader and acceptor."""

    node_id: str
    servers: tuple[str, ...]  # every server, this one included, sorted
    replica: ReplicaState
    leader: LeaderState
    acceptor: AcceptorState


def fresh_state(node_id: str, peers: tuple[str, ...],
                stored: Mapping[str, Any] | None = None) -> MultiPaxosState:
    """A server's state rebuilt from ``stored`` alone (nothing: a new server)."""
    stored = stored or {}
    return MultiPaxosState(node_id, tuple(sorted((node_id, *peers))), ReplicaState(),
                           leader.fresh(node_id, stored.get("leader_round", 0)),
                           acceptor.restore(stored))


def command_of(request: ClientRequest) -> Command:
    """The command a client request asks for (a list value becomes a tuple: messages carry
    immutable values only); ValueError names a command the store cannot run."""
    value = tuple(request.value) if isinstance(request.value, list) else request.value
    return Command(client=request.client, seq=request.seq or request.id, op=request.f,
                   key=request.key, value=value)


class MultiPaxosProtocol(StepProtocol[MultiPaxosState]):
    """The Multi-Paxos server as a pure step function; shared by every server of a run."""

    __slots__ = ("config",)

    def __init__(self, config: MultiPaxosConfig | None = None) -> None:
        self.config = config or MultiPaxosConfig()

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[MultiPaxosState, Effects]:
        """Recover the acceptor and the leader's round; wait for a leader."""
        state = fresh_state(node_id, peers, stored)
        out = Outbox(node_id, state.servers)
        self.reset_election_timer(out)
        out.timer("resend", self.config.resend_interval, self.config.resend_interval,
                  RESEND_TIMER)
        return state, out.done()

    def step(self, state: MultiPaxosState, event: Input | Submit) -> tuple[MultiPaxosState,
                                                                          Effects]:
        """One input, then whatever the roles sent each other meanwhile."""
        out = Outbox(state.node_id, state.servers, event.now)
        match event:
            case Deliver(src, msg):
                state = self.route(state, out, src, msg)
            case Fire(name):
                state = self.on_timer(state, out, name)
            case Request(request):
                try:
                    command = command_of(request)
                except ValueError as error:
                    out.reply(request, {"error": str(error)}, BAD_COMMAND, ok=False)
                    return state, out.done()
                state = self.with_replica(state, replica.request(
                    state.replica, out, command, self.config.window, request))
            case Submit(command=command):
                state = self.with_replica(state, replica.request(
                    state.replica, out, command, self.config.window))
        while out.local:
            state = self.route(state, out, state.node_id, out.local.popleft())
        return state, out.done()

    # ------------------------------------------------------------ timers
    def on_timer(self, s: MultiPaxosState, out: Outbox, name: str) -> MultiPaxosState:
        """election: try to lead. heartbeat: lead on. resend: repair losses."""
        config, decided = self.config, s.replica.decisions.__contains__
        if name == "election" and not s.leader.active:
            s = self.with_leader(s, leader.start_scout(s.leader, out, s.replica.slot_out))
            self.reset_election_timer(out)  # not adopted by then: try a higher ballot
        elif name == "heartbeat" and s.leader.active:
            s = self.with_leader(s, leader.fill_gaps_and_command(s.leader, out, decided,
                                                               s.replica.slot_out))
            out.to_others(Heartbeat(ballot=s.leader.ballot, slot_out=s.replica.slot_out),
                          HEARTBEAT)
            out.timer("heartbeat", config.heartbeat_interval, config.heartbeat_interval,
                      HEARTBEAT)
        elif name == "resend":
            s = self.with_leader(s, leader.resend(s.leader, out, out.now - config.resend_interval))
            replica.repropose(s.replica, out)
            out.timer("resend", config.resend_interval, config.resend_interval, RESEND_TIMER)
        return s

    def reset_election_timer(self, out: Outbox) -> None:
        """A fresh randomized election timeout."""
        low, high = self.config.election_timeout
        out.timer("election", low, high, ELECTION)

    # ------------------------------------------------------------ routing
    def route(self, s: MultiPaxosState, out: Outbox, src: str, msg: Any) -> MultiPaxosState:
        """Hand ``msg`` to the role it is for (PMMC's process per role)."""
        decided, window = s.replica.decisions.__contains__, self.config.window
        match msg:
            case P2a():
                return self.with_acceptor(s, acceptor.on_p2a(s.acceptor, out, src, msg))
            case P2b():
                s = self.with_leader(s, leader.on_p2b(s.leader, out, src, msg))
                return self.after_leader_change(s, out)
            case Decision(slot=slot, command=command):
                return self.with_replica(s, replica.on_decision(s.replica, out, slot, command,
                                                                window))
            case Propose(slot=slot, command=command):
                return self.with_leader(s, leader.on_propose(s.leader, out, slot, command,
                                                           decided))
            case P1a():
                return self.with_acceptor(s, acceptor.on_p1a(s.acceptor, out, src, msg))
            case P1b():
                ld, outcome = leader.on_p1b(s.leader, out, src, msg, decided)
                s = self.with_leader(s, ld)
                return self.after_leader_change(s, out) if outcome in (ADOPTED, PREEMPTED) \
                    else s
            case Heartbeat():
                return self.on_heartbeat(s, out, src, msg)
            case CatchUp(from_slot=from_slot):
                replica.on_catch_up(s.replica, out, src, from_slot)
            case Decisions():
                return self.with_replica(s, replica.on_decisions(s.replica, out, msg, window))
        return s

    def on_heartbeat(self, s: MultiPaxosState, out: Outbox, src: str,
                     msg: Heartbeat) -> MultiPaxosState:
        """A leader is alive: follow it if its ballot is the highest we know."""
        if msg.ballot < s.leader.highest_seen:
            return s  # a deposed leader that has not noticed yet
        if s.leader.active:
            out.cancel("heartbeat", FOLLOW)
        s = self.with_leader(s, leader.preempted(s.leader, out, msg.ballot))
        self.reset_election_timer(out)
        return self.with_replica(s, replica.on_heartbeat(s.replica, out, src, msg.slot_out,
                                                         self.config.window))

    def after_leader_change(self, s: MultiPaxosState, out: Outbox) -> MultiPaxosState:
        """Timers and the replica's leader hint follow the leader's state."""
        if s.leader.active and s.replica.leader_hint != s.node_id:
            out.cancel("election", LEAD)
            out.timer("heartbeat", 0, 0, LEAD)
            return self.with_replica(s, replica.on_heartbeat(s.replica, out, s.node_id, 0,
                                                             self.config.window))
        if not s.leader.active and s.replica.leader_hint == s.node_id:
            s = self.with_replica(s, replace(s.replica,
                                             leader_hint=s.leader.highest_seen.proposer_id))
            out.cancel("heartbeat", STEP_DOWN)
            self.reset_election_timer(out)
        return s

    @staticmethod
    def with_replica(s: MultiPaxosState, rep: ReplicaState) -> MultiPaxosState:
        """``s`` with the replica state ``rep``."""
        return MultiPaxosState(s.node_id, s.servers, rep, s.leader, s.acceptor)

    @staticmethod
    def with_leader(s: MultiPaxosState, ld: LeaderState) -> MultiPaxosState:
        """``s`` with the leader state ``ld``."""
        return MultiPaxosState(s.node_id, s.servers, s.replica, ld, s.acceptor)

    @staticmethod
    def with_acceptor(s: MultiPaxosState, acc: AcceptorState) -> MultiPaxosState:
        """``s`` with the acceptor state ``acc``."""
        return MultiPaxosState(s.node_id, s.servers, s.replica, s.leader, acc)

    # ------------------------------------------------------------ views
    def view(self, state: MultiPaxosState) -> dict[str, Any]:
        """Role, ballot and slots, for tables."""
        ld = state.leader
        role = "leader" if ld.active else "scout" if ld.scout else "-"
        return {"role": role, "ballot": str(ld.ballot),
                "promised": str(state.acceptor.promised or "-"),
                "slot_out": state.replica.slot_out, "requests": len(state.replica.requests)}

    def describe(self, state: MultiPaxosState) -> str:
        """``leader b=2.n1 out=7``."""
        ld = state.leader
        role = "leader" if ld.active else "scout" if ld.scout else "passive"
        return f"{role} b={ld.ballot} out={state.replica.slot_out}"


class MultiPaxosServer(RoleNode[MultiPaxosState]):
    """One Multi-Paxos server (replica, leader and acceptor) of a replicated KV store.

    ``replica``, ``leader`` and ``acceptor`` (read-only) are the roles'
    state values. Two ghost journals, kept beside the state for the
    invariants and never read by the protocol: ``journal`` lists every
    pvalue this incarnation accepted (read from its ``Persist`` effects),
    ``client_commands`` every command a client handed it.
    """

    protocol: MultiPaxosProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: MultiPaxosConfig | None = None,
                 protocol: MultiPaxosProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or MultiPaxosProtocol(config))
        self.journal: list[PValue] = []
        self.client_commands: list[Any] = []

    def stepped(self, before: MultiPaxosState | None, event: Any) -> None:
        """Keep the ghost journals after each step: the pvalues this incarnation
        accepted (its ``Persist`` effects) and the commands clients handed it."""
        for effect in self.last_effects:
            if isinstance(effect, Persist) and effect.key.startswith(acceptor.ACCEPTED_KEY):
                slot = int(effect.key[len(acceptor.ACCEPTED_KEY):])
                self.journal.append((slot, *effect.value))
        if isinstance(event, Request):
            with suppress(ValueError):  # a malformed request: the step answered a failure
                self.client_commands.append(command_of(event.request))
        elif isinstance(event, Submit):
            self.client_commands.append(event.command)

    def submit(self, command: Any) -> Call:
        """Propose ``command`` without a client waiting (``sim.call(n, "submit", c)``)."""
        return Call(Submit(command), True)

    servers: StateField[tuple[str, ...]] = StateField(
        "Every server of the cluster, this one included, sorted.")
    replica: StateField[ReplicaState] = StateField(
        "The replica's state: slots, decisions, store, leader hint.")
    leader: StateField[LeaderState] = StateField(
        "The leader's state: ballot, active, scout, commanders.")
    acceptor: StateField[AcceptorState] = StateField(
        "The acceptor's state: promise and accepted pvalues.")

    def fresh(self) -> MultiPaxosState:
        """A new server's state."""
        return fresh_state(self.node_id, self.peers)
