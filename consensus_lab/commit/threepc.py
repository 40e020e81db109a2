"""Three-phase commit (Skeen 1981) with its termination protocol.

Theory of operation (Skeen, "Nonblocking Commit Protocols", SIGMOD 1981;
BHG 1987 §7.5): 2PC blocks because an in-doubt participant cannot tell
"the coordinator committed" from "nobody committed". 3PC puts a round in
between: after every Yes the coordinator sends ``PreCommit``; only once
participants acknowledge it does it send ``Commit`` (DoCommit). So no state
is next to both commit and abort: an *uncertain* participant (voted Yes, no
PreCommit) knows nobody has committed, and a *pre-committed* one knows
everybody voted Yes.

When the coordinator falls silent (timer ``coordinator``), a participant
becomes a **backup coordinator** and runs the termination protocol: it asks
the other participants for their state (``StateRequest``) and, once it has
waited ``collect_after``, applies :func:`termination_event` (BHG's
termination rules TR1-TR4): any committed → commit; any aborted or not yet
voted → abort; some pre-committed → first bring the uncertain ones to
pre-committed, then commit; all uncertain → abort. A participant that
restarts never acts as a backup: it asks for the outcome until someone
tells it. A coordinator that restarts without a commit record does the
same (participants may have terminated without it).

**Crashes only**: with a synchronous network and a perfect failure detector
(a timeout fires only once the peer really is down and every message sent
before has arrived) 3PC never blocks while a participant is up, and stays
atomic. **Partitions**: a timeout cannot tell a crashed peer from a cut
link. Cut ``{c1, p1}`` from ``{p2, p3}`` after ``p1`` got its PreCommit:
``p2`` and ``p3`` see only uncertain states and abort; ``c1`` times out on
the missing Acks and commits with ``p1``. Atomicity is gone — the reason
real systems use consensus (:mod:`.replicated`) instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sim import Context
from .config import CommitConfig
from .machine import Table, TableNode, check_table
from .messages import (
    ABORT,
    COMMIT,
    Ack,
    CanCommit,
    Decision,
    DecisionRequest,
    PreCommit,
    StateReport,
    StateRequest,
    Vote,
)
from .twopc import ABORTED, COMMITTED, INIT, TX, WORKING, coordinator_ids, participant_ids

WAITING, PRECOMMITTING, RECOVERING = "waiting", "precommitting", "recovering"
UNCERTAIN, PRECOMMITTED = "uncertain", "precommitted"
COORDINATOR_STATES = (INIT, WAITING, PRECOMMITTING, COMMITTED, ABORTED, RECOVERING)
PARTICIPANT_STATES = (INIT, WORKING, UNCERTAIN, PRECOMMITTED, COMMITTED, ABORTED)
_DECIDE = ("log_outcome", "release_locks")

#: The 3PC coordinator (Skeen 1981, Figure 4; BHG §7.5).
COORDINATOR_TABLE: Table = {
    (INIT, "begin"): (WAITING, ("log_begin", "send_can_commit", "start_timer")),
    (INIT, "recover: commit logged"): (COMMITTED, ("send_decision",)),
    (INIT, "recover: no decision logged"): (RECOVERING, ("ask_all", "start_timer")),
    (WAITING, "Yes"): (WAITING, ("count_yes",)),
    (WAITING, "Yes from all"): (PRECOMMITTING, ("count_yes", "send_precommit", "start_timer")),
    (WAITING, "No"): (ABORTED, ("send_decision",)),
    (WAITING, "timeout"): (ABORTED, ("send_decision",)),
    (PRECOMMITTING, "Ack"): (PRECOMMITTING, ("count_ack",)),
    (PRECOMMITTING, "Ack from all"): (COMMITTED, ("count_ack", "log_decision", "send_decision")),
    # Every participant voted Yes; one that does not Ack has crashed and will ask on recovery.
    (PRECOMMITTING, "timeout"): (COMMITTED, ("log_decision", "send_decision")),
    (RECOVERING, "Commit"): (COMMITTED, ("log_decision",)),
    (RECOVERING, "Abort"): (ABORTED, ()),
    (RECOVERING, "timeout"): (RECOVERING, ("ask_all", "start_timer")),
    (COMMITTED, "Ask"): (COMMITTED, ("answer",)),
    (ABORTED, "Ask"): (ABORTED, ("answer",)),
    (ABORTED, "Yes"): (ABORTED, ("answer",)),
}

#: A 3PC participant, with the termination protocol (BHG §7.5 rules TR1-TR4).
PARTICIPANT_TABLE: Table = {
    (INIT, "join"): (WORKING, ("log_join", "take_locks", "watch")),
    (INIT, "recover: uncertain"): (UNCERTAIN, ("take_locks", "ask_all", "watch")),
    (INIT, "recover: precommitted"): (PRECOMMITTED, ("take_locks", "ask_all", "watch")),
    (INIT, "recover: committed"): (COMMITTED, ()),
    (INIT, "recover: aborted"): (ABORTED, ()),
    (INIT, "recover: nothing logged"): (ABORTED, ("log_outcome",)),
    (WORKING, "CanCommit, vote Yes"): (UNCERTAIN, ("log_state", "send_yes", "watch")),
    (WORKING, "CanCommit, vote No"): (ABORTED, (*_DECIDE, "send_no")),
    (WORKING, "Abort"): (ABORTED, _DECIDE),
    (WORKING, "coordinator timeout"): (ABORTED, _DECIDE),  # no CanCommit: abort on its own
    (UNCERTAIN, "PreCommit"): (PRECOMMITTED, ("log_state", "send_ack", "watch")),
    (PRECOMMITTED, "PreCommit"): (PRECOMMITTED, ("send_ack",)),
    (UNCERTAIN, "Commit"): (COMMITTED, _DECIDE),
    (UNCERTAIN, "Abort"): (ABORTED, _DECIDE),
    (PRECOMMITTED, "Commit"): (COMMITTED, _DECIDE),
    (PRECOMMITTED, "Abort"): (ABORTED, _DECIDE),
    # the termination protocol: become a backup coordinator
    (UNCERTAIN, "coordinator timeout"): (UNCERTAIN, ("ask_states",)),
    (PRECOMMITTED, "coordinator timeout"): (PRECOMMITTED, ("ask_states",)),
    (UNCERTAIN, "ask timeout"): (UNCERTAIN, ("ask_all", "watch")),  # after a restart
    (PRECOMMITTED, "ask timeout"): (PRECOMMITTED, ("ask_all", "watch")),
    (UNCERTAIN, "terminate: abort"): (ABORTED, (*_DECIDE, "send_decision")),
    (PRECOMMITTED, "terminate: abort"): (ABORTED, (*_DECIDE, "send_decision")),
    (UNCERTAIN, "terminate: commit"): (COMMITTED, (*_DECIDE, "send_decision")),
    (PRECOMMITTED, "terminate: commit"): (COMMITTED, (*_DECIDE, "send_decision")),
    (UNCERTAIN, "terminate: precommit first"): (PRECOMMITTED, ("log_state", "precommit_round")),
    (PRECOMMITTED, "terminate: precommit first"): (PRECOMMITTED, ("precommit_round",)),
    (COMMITTED, "Ask"): (COMMITTED, ("answer",)),
    (ABORTED, "Ask"): (ABORTED, ("answer",)),
    (ABORTED, "CanCommit, vote Yes"): (ABORTED, ("send_no",)),
    (ABORTED, "CanCommit, vote No"): (ABORTED, ("send_no",)),
}


def termination_event(own: str, reports: Mapping[str, str]) -> str:
    """The backup coordinator's decision from its own state and the states reported.

    BHG §7.5: TR1 any aborted (or one that never voted) → abort; TR2 any
    committed → commit; TR3 all uncertain → abort; TR4 some pre-committed →
    pre-commit the uncertain ones first, then commit.
    """
    states = {own, *reports.values()}
    if COMMITTED in states:
        return "terminate: commit"
    if ABORTED in states or WORKING in states or INIT in states:
        return "terminate: abort"
    if PRECOMMITTED in states:
        return "terminate: precommit first" if UNCERTAIN in states else "terminate: commit"
    return "terminate: abort"


def coordinator_recovery_event(stored: Mapping[str, Any]) -> str:
    """Fresh start, commit logged, or no decision logged (then ask, never decide alone)."""
    if "tx" not in stored:
        return "begin"
    return ("recover: commit logged" if stored.get("decision") == COMMIT
            else "recover: no decision logged")


def participant_recovery_event(stored: Mapping[str, Any]) -> str:
    """Join, or recover the logged state (uncertain / pre-committed / decided)."""
    if "tx" not in stored:
        return "join"
    log = stored.get("log")
    if log in (UNCERTAIN, PRECOMMITTED):
        return f"recover: {log}"
    if log in (COMMIT, ABORT):
        return "recover: committed" if log == COMMIT else "recover: aborted"
    return "recover: nothing logged"


class ThreePCCoordinator(TableNode):
    """The 3PC coordinator of ``T1``."""

    TABLE = COORDINATOR_TABLE

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None) -> None:
        super().__init__(node_id, peers, INIT)
        self.config = config or CommitConfig()
        self.participants = participant_ids(self.peers)
        self.yes_votes: frozenset[str] = frozenset()
        self.acks: frozenset[str] = frozenset()

    def on_start(self, ctx: Context) -> None:
        """Begin, or recover from the log."""
        self.fire(ctx, coordinator_recovery_event(ctx.stored))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Votes, Acks, questions, and answers while recovering."""
        if isinstance(msg, Vote):
            everyone = len(self.yes_votes | {src}) == len(self.participants)
            event = "No" if not msg.yes else "Yes from all" if everyone else "Yes"
            self.fire(ctx, event, src, msg)
        elif isinstance(msg, Ack):
            everyone = len(self.acks | {src}) == len(self.participants)
            self.fire(ctx, "Ack from all" if everyone else "Ack", src, msg)
        elif isinstance(msg, DecisionRequest):
            self.fire(ctx, "Ask", src, msg)
        elif isinstance(msg, Decision):
            self.fire(ctx, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``timeout``: votes or Acks missing (or, recovering, nobody answered yet)."""
        if name == "timeout":
            self.fire(ctx, "timeout")

    def log_begin(self, ctx: Context, src: str, msg: Any) -> None:
        """Log the transaction before asking anyone."""
        ctx.persist("tx", (TX, self.participants), immutable=True)

    def send_can_commit(self, ctx: Context, src: str, msg: Any) -> None:
        """Phase 1: CanCommit to every participant."""
        for p in self.participants:
            ctx.send(p, CanCommit(tx=TX))

    def start_timer(self, ctx: Context, src: str, msg: Any) -> None:
        """Arm the timeout of this phase."""
        after = self.config.ack_timeout if self.state == PRECOMMITTING else self.config.vote_timeout
        ctx.set_timer("timeout", after)

    def count_yes(self, ctx: Context, src: str, msg: Any) -> None:
        """Remember ``src``'s Yes."""
        self.yes_votes = self.yes_votes | {src}

    def send_precommit(self, ctx: Context, src: str, msg: Any) -> None:
        """Phase 2: everybody voted Yes; PreCommit to all."""
        for p in self.participants:
            ctx.send(p, PreCommit(tx=TX))

    def count_ack(self, ctx: Context, src: str, msg: Any) -> None:
        """Remember ``src``'s Ack."""
        self.acks = self.acks | {src}

    def log_decision(self, ctx: Context, src: str, msg: Any) -> None:
        """Log commit before telling anyone."""
        ctx.persist("decision", COMMIT, immutable=True)

    def send_decision(self, ctx: Context, src: str, msg: Any) -> None:
        """Phase 3: the decision (DoCommit or Abort) to every participant."""
        ctx.cancel_timer("timeout")
        outcome = COMMIT if self.state == COMMITTED else ABORT
        for p in self.participants:
            ctx.send(p, Decision(tx=TX, outcome=outcome))

    def ask_all(self, ctx: Context, src: str, msg: Any) -> None:
        """Recovering without a decision: ask the participants what happened."""
        for p in self.participants:
            ctx.send(p, DecisionRequest(tx=TX))

    def answer(self, ctx: Context, src: str, msg: Any) -> None:
        """Tell one node the decision."""
        ctx.send(src, Decision(tx=TX, outcome=COMMIT if self.state == COMMITTED else ABORT))

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable (for the model checker)."""
        return ("3pc-coordinator", self.state, self.yes_votes, self.acks)

    def describe(self) -> str:
        """``waiting yes=p1``."""
        return f"{self.state} yes={','.join(sorted(self.yes_votes)) or '-'}"

    def view(self) -> dict[str, Any]:
        """State, votes and Acks."""
        return {"state": self.state, "yes": ",".join(sorted(self.yes_votes)) or "-",
                "acks": ",".join(sorted(self.acks)) or "-"}


class ThreePCParticipant(TableNode):
    """A 3PC participant; becomes a backup coordinator when the coordinator falls silent."""

    TABLE = PARTICIPANT_TABLE

    def __init__(self, node_id: str, peers: tuple[str, ...], config: CommitConfig | None = None,
                 *, vote_yes: bool = True) -> None:
        super().__init__(node_id, peers, INIT)
        self.config = config or CommitConfig()
        self.coordinator = coordinator_ids(self.peers)[0]
        self.others = participant_ids(self.peers)
        self.vote_yes = vote_yes
        self.locks: tuple[str, ...] = ()
        self.recovering = False  # restarted undecided: asks, never acts as a backup
        self.reports: dict[str, str] | None = None  # as a backup: participant -> state

    def on_start(self, ctx: Context) -> None:
        """Join, or recover from the log."""
        event = participant_recovery_event(ctx.stored)
        self.recovering = event in ("recover: uncertain", "recover: precommitted")
        self.fire(ctx, event)

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Coordinator's (or a backup's) messages, state questions and reports."""
        if isinstance(msg, CanCommit):
            self.fire(ctx, "CanCommit, vote Yes" if self.vote_yes else "CanCommit, vote No",
                      src, msg)
        elif isinstance(msg, PreCommit):
            self.fire(ctx, "PreCommit", src, msg)
        elif isinstance(msg, Decision):
            self.fire(ctx, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)
        elif isinstance(msg, DecisionRequest):
            self.fire(ctx, "Ask", src, msg)
        elif isinstance(msg, StateRequest):
            ctx.send(src, StateReport(tx=TX, state=self.state))
        elif isinstance(msg, StateReport | Ack) and self.reports is not None:
            state = msg.state if isinstance(msg, StateReport) else PRECOMMITTED
            self.reports = {**self.reports, src: state}

    def on_timer(self, ctx: Context, name: str) -> None:
        """``coordinator``: silent coordinator; ``collect``: the backup decides."""
        if name == "coordinator":
            self.fire(ctx, "ask timeout" if self.recovering else "coordinator timeout")
        elif name == "collect" and self.reports is not None:
            self.fire(ctx, termination_event(self.state, self.reports))

    # actions -------------------------------------------------------------
    def log_join(self, ctx: Context, src: str, msg: Any) -> None:
        """Remember taking part."""
        ctx.persist("tx", TX, immutable=True)

    def take_locks(self, ctx: Context, src: str, msg: Any) -> None:
        """Lock the row (until the outcome)."""
        self.locks = ("row",)

    def release_locks(self, ctx: Context, src: str, msg: Any) -> None:
        """Decided: release the locks, stop the timers."""
        self.locks, self.reports = (), None
        ctx.cancel_timer("coordinator")
        ctx.cancel_timer("collect")

    def log_state(self, ctx: Context, src: str, msg: Any) -> None:
        """Force the new state (uncertain / pre-committed) to the log before answering."""
        ctx.persist("log", self.state, immutable=True)

    def log_outcome(self, ctx: Context, src: str, msg: Any) -> None:
        """Log the outcome."""
        ctx.persist("log", COMMIT if self.state == COMMITTED else ABORT, immutable=True)

    def send_yes(self, ctx: Context, src: str, msg: Any) -> None:
        """Vote Yes."""
        ctx.send(self.coordinator, Vote(tx=TX, yes=True))

    def send_no(self, ctx: Context, src: str, msg: Any) -> None:
        """Vote No."""
        ctx.send(self.coordinator, Vote(tx=TX, yes=False))

    def send_ack(self, ctx: Context, src: str, msg: Any) -> None:
        """Acknowledge a PreCommit to whoever sent it (coordinator or backup)."""
        ctx.send(src, Ack(tx=TX))

    def watch(self, ctx: Context, src: str, msg: Any) -> None:
        """(Re)arm the coordinator-silence timer."""
        ctx.set_timer("coordinator", self.config.coordinator_timeout)

    def ask_states(self, ctx: Context, src: str, msg: Any) -> None:
        """Become a backup coordinator: ask every other participant for its state."""
        self.reports = {}
        for p in self.others:
            ctx.send(p, StateRequest(tx=TX))
        ctx.set_timer("collect", self.config.collect_after)

    def precommit_round(self, ctx: Context, src: str, msg: Any) -> None:
        """TR4: PreCommit to those reported uncertain, then decide again after collecting."""
        assert self.reports is not None
        for p, state in sorted(self.reports.items()):
            if state == UNCERTAIN:
                ctx.send(p, PreCommit(tx=TX))
        ctx.set_timer("collect", self.config.collect_after)

    def send_decision(self, ctx: Context, src: str, msg: Any) -> None:
        """As a backup: the outcome to every other participant."""
        outcome = COMMIT if self.state == COMMITTED else ABORT
        for p in self.others:
            ctx.send(p, Decision(tx=TX, outcome=outcome))

    def ask_all(self, ctx: Context, src: str, msg: Any) -> None:
        """Recovering: ask the coordinator and the others for the outcome."""
        for p in (self.coordinator, *self.others):
            ctx.send(p, DecisionRequest(tx=TX))

    def answer(self, ctx: Context, src: str, msg: Any) -> None:
        """Tell one node the outcome."""
        ctx.send(src, Decision(tx=TX, outcome=COMMIT if self.state == COMMITTED else ABORT))

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable (for the model checker)."""
        reports = None if self.reports is None else frozenset(self.reports.items())
        return ("3pc-participant", self.state, self.locks, self.vote_yes, self.recovering,
                reports)

    def lock_names(self) -> str:
        """The locks held, named ``row@p1`` (``-`` for none)."""
        return ",".join(f"{lock}@{self.node_id}" for lock in self.locks) or "-"

    @property
    def in_doubt(self) -> bool:
        """Voted Yes, no outcome yet."""
        return self.state in (UNCERTAIN, PRECOMMITTED)

    @property
    def can_terminate(self) -> bool:
        """In doubt and able to act as a backup coordinator (not restarted)."""
        return self.in_doubt and not self.recovering

    def describe(self) -> str:
        """``uncertain locks=row@p1``."""
        backup = " backup" if self.reports is not None else ""
        return f"{self.state}{backup} locks={self.lock_names()}"

    def view(self) -> dict[str, Any]:
        """State and locks."""
        return {"state": self.state + (" (backup)" if self.reports is not None else ""),
                "locks": self.lock_names()}


check_table(COORDINATOR_TABLE, COORDINATOR_STATES, ThreePCCoordinator)
check_table(PARTICIPANT_TABLE, PARTICIPANT_STATES, ThreePCParticipant)
