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

As in :mod:`.twopc`, each role is a pure step protocol over a state value
(:class:`ThreePCCoordinatorState`, :class:`ThreePCParticipantState`);
durable is only what is written with ``Persist``: the coordinator's ``tx``
and ``decision``, a participant's ``tx`` and ``log`` (``uncertain`` /
``precommitted`` / ``commit`` / ``abort``), each written before the
message that depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..sim.step import CancelTimer, Deliver, Effects, Fire, Input, Persist, Request, Send, timer
from .config import CommitConfig
from .machine import Table, TableNode, TableProtocol, check_table, refuse
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
from .twopc import (
    ABORTED,
    COMMITTED,
    INIT,
    TX,
    WORKING,
    ParticipantNode,
    coordinator_ids,
    participant_ids,
)

RULE_LOG_BEGIN = "3PC: the coordinator logs the transaction before it asks anyone (Skeen 1981)"
RULE_CAN_COMMIT = "3PC phase 1: the coordinator sends CanCommit to every participant (Skeen 1981)"
RULE_TIMEOUT = ("3PC: the coordinator times out a phase: missing votes abort, missing Acks "
                "commit (Skeen 1981; BHG §7.5)")
RULE_PRECOMMIT = ("3PC phase 2: with every Yes the coordinator sends PreCommit to all "
                  "(Skeen 1981)")
RULE_LOG_COMMIT = "3PC: the coordinator logs commit before it sends it (BHG §7.5)"
RULE_DECISION = "3PC phase 3: the coordinator sends DoCommit (or Abort) to every participant"
RULE_DECIDED = "3PC: once decided, the coordinator stops its phase timeout"
RULE_RECOVER_ASK = ("3PC: a coordinator restarted without a decision asks the participants; "
                    "they may have terminated without it (BHG §7.5)")
RULE_ANSWER = "3PC: a node that knows the outcome tells whoever asks (BHG §7.5)"
RULE_LOG_JOIN = "3PC: a participant records that it joined (BHG §7.5)"
RULE_LOG_STATE = ("3PC: a participant forces its new state (uncertain / pre-committed) to "
                  "its log before answering (Skeen 1981)")
RULE_LOG_OUTCOME = "3PC: a participant logs the outcome (BHG §7.5)"
RULE_RELEASE = "strict 2PL: locks and timers go only with the outcome (BHG §7.3)"
RULE_YES = "3PC: a Yes vote makes the participant uncertain (Skeen 1981)"
RULE_NO = "3PC: a participant that cannot commit votes No and aborts (Skeen 1981)"
RULE_ACK = "3PC: a participant acknowledges a PreCommit to whoever sent it (Skeen 1981)"
RULE_WATCH = ("3PC: a participant that hears nothing from the coordinator for a timeout "
              "suspects it has failed (Skeen 1981 §2)")
RULE_STATE_REQUEST = ("3PC termination protocol: a backup coordinator asks every other "
                      "participant for its state (BHG §7.5)")
RULE_COLLECT = "3PC termination protocol: the backup decides once the reports are in (BHG §7.5)"
RULE_STATE_REPORT = "3PC termination protocol: a participant reports its state to the backup"
RULE_TR4 = ("3PC TR4: some pre-committed: the backup pre-commits the uncertain ones before it "
            "commits (BHG §7.5)")
RULE_BACKUP_DECISION = "3PC termination protocol: the backup sends the outcome to all (BHG §7.5)"
RULE_RECOVER = ("3PC: a participant restarted undecided asks for the outcome and never acts "
                "as a backup (BHG §7.5)")

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


# ------------------------------------------------------------------ coordinator
@dataclass(frozen=True, slots=True)
class ThreePCCoordinatorState:
    """The 3PC coordinator's state. Durable: the ``tx`` and ``decision`` records."""

    participants: frozenset[str]  # constant
    phase: str = INIT
    yes_votes: frozenset[str] = frozenset()
    acks: frozenset[str] = frozenset()

    def __str__(self) -> str:
        return self.phase


CStep = tuple[ThreePCCoordinatorState, Effects]


class ThreePCCoordinatorProtocol(TableProtocol[ThreePCCoordinatorState]):
    """The 3PC coordinator of ``T1``."""

    TABLE = COORDINATOR_TABLE

    def __init__(self, config: CommitConfig | None = None, table: Table | None = None) -> None:
        super().__init__(table)
        self.config = config or CommitConfig()

    def initial(self, node_id: str, peers: tuple[str, ...]) -> ThreePCCoordinatorState:
        """The state before the log is read."""
        return ThreePCCoordinatorState(frozenset(participant_ids(peers)))

    def start(self, node_id: str, peers: tuple[str, ...], stored: Mapping[str, Any]) -> CStep:
        """Begin, or recover from the log."""
        return self.fire(self.initial(node_id, peers), coordinator_recovery_event(stored))

    def step(self, state: ThreePCCoordinatorState, event: Input) -> CStep:
        """Votes, Acks, questions, answers while recovering; ``timeout``."""
        everyone = len(state.participants)
        match event:
            case Deliver(src, Vote() as msg):
                all_yes = len(state.yes_votes | {src}) == everyone
                name = "No" if not msg.yes else "Yes from all" if all_yes else "Yes"
                return self.fire(state, name, src, msg)
            case Deliver(src, Ack() as msg):
                all_acks = len(state.acks | {src}) == everyone
                return self.fire(state, "Ack from all" if all_acks else "Ack", src, msg)
            case Deliver(src, DecisionRequest() as msg):
                return self.fire(state, "Ask", src, msg)
            case Deliver(src, Decision() as msg):
                return self.fire(state, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)
            case Fire("timeout"):
                return self.fire(state, "timeout")
            case Request() as request:
                return state, refuse(request, "a 3PC coordinator")
        return state, ()

    # actions -------------------------------------------------------------
    def log_begin(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Log the transaction before asking anyone."""
        return st, (Persist("tx", (TX, _sorted(st.participants)), RULE_LOG_BEGIN),)

    def send_can_commit(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Phase 1: CanCommit to every participant."""
        return st, tuple(Send(p, CanCommit(tx=TX), RULE_CAN_COMMIT)
                         for p in _sorted(st.participants))

    def start_timer(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Arm the timeout of this phase."""
        after = (self.config.ack_timeout if st.phase == PRECOMMITTING
                 else self.config.vote_timeout)
        return st, (timer("timeout", after, RULE_TIMEOUT),)

    def count_yes(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Remember ``src``'s Yes."""
        return replace(st, yes_votes=st.yes_votes | {src}), ()

    def send_precommit(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Phase 2: everybody voted Yes; PreCommit to all."""
        return st, tuple(Send(p, PreCommit(tx=TX), RULE_PRECOMMIT)
                         for p in _sorted(st.participants))

    def count_ack(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Remember ``src``'s Ack."""
        return replace(st, acks=st.acks | {src}), ()

    def log_decision(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Log commit before telling anyone."""
        return st, (Persist("decision", COMMIT, RULE_LOG_COMMIT),)

    def send_decision(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Phase 3: the decision (DoCommit or Abort) to every participant."""
        outcome = COMMIT if st.phase == COMMITTED else ABORT
        return st, (CancelTimer("timeout", RULE_DECIDED),
                    *(Send(p, Decision(tx=TX, outcome=outcome), RULE_DECISION)
                      for p in _sorted(st.participants)))

    def ask_all(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Recovering without a decision: ask the participants what happened."""
        return st, tuple(Send(p, DecisionRequest(tx=TX), RULE_RECOVER_ASK)
                         for p in _sorted(st.participants))

    def answer(self, st: ThreePCCoordinatorState, src: str, msg: Any) -> CStep:
        """Tell one node the decision."""
        outcome = COMMIT if st.phase == COMMITTED else ABORT
        return st, (Send(src, Decision(tx=TX, outcome=outcome), RULE_ANSWER),)

    def describe(self, state: ThreePCCoordinatorState) -> str:
        """``waiting yes=p1``."""
        return f"{state.phase} yes={','.join(sorted(state.yes_votes)) or '-'}"

    def view(self, state: ThreePCCoordinatorState) -> dict[str, Any]:
        """State, votes and Acks."""
        return {"state": state.phase, "yes": ",".join(sorted(state.yes_votes)) or "-",
                "acks": ",".join(sorted(state.acks)) or "-"}


class ThreePCCoordinator(TableNode[ThreePCCoordinatorState]):
    """The 3PC coordinator as a simulator node (attributes read its state)."""

    protocol: ThreePCCoordinatorProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None) -> None:
        super().__init__(node_id, peers, ThreePCCoordinatorProtocol(config))

    @property
    def config(self) -> CommitConfig:
        """Timeouts."""
        return self.protocol.config

    @property
    def participants(self) -> tuple[str, ...]:
        """The participants, sorted."""
        return participant_ids(self.peers)

    @property
    def yes_votes(self) -> frozenset[str]:
        """The Yes votes so far."""
        return frozenset() if self.state is None else self.state.yes_votes

    @property
    def acks(self) -> frozenset[str]:
        """The Acks so far."""
        return frozenset() if self.state is None else self.state.acks


# ------------------------------------------------------------------ participant
@dataclass(frozen=True, slots=True)
class ThreePCParticipantState:
    """A 3PC participant's state. Durable: the ``tx`` and ``log`` records.

    ``recovering`` (restarted undecided: asks, never acts as a backup) is
    rebuilt by ``start``; ``reports`` is the backup's collection of the
    others' states (None: not a backup).
    """

    node_id: str  # constant
    coordinator: str  # constant
    others: frozenset[str]  # constant: the other participants
    phase: str = INIT
    locks: tuple[str, ...] = ()
    recovering: bool = False
    reports: frozenset[tuple[str, str]] | None = None  # participant -> state, as a backup

    def __str__(self) -> str:
        return self.phase

    @property
    def in_doubt(self) -> bool:
        """Voted Yes, no outcome yet."""
        return self.phase in (UNCERTAIN, PRECOMMITTED)


PStep = tuple[ThreePCParticipantState, Effects]


class ThreePCParticipantProtocol(TableProtocol[ThreePCParticipantState]):
    """A 3PC participant; becomes a backup coordinator when the coordinator falls silent."""

    TABLE = PARTICIPANT_TABLE

    def __init__(self, config: CommitConfig | None = None, *, vote_yes: bool = True,
                 table: Table | None = None) -> None:
        super().__init__(table)
        self.config = config or CommitConfig()
        self.vote_yes = vote_yes

    def initial(self, node_id: str, peers: tuple[str, ...]) -> ThreePCParticipantState:
        """The state before the log is read."""
        return ThreePCParticipantState(node_id, coordinator_ids(peers)[0],
                                       frozenset(participant_ids(peers)))

    def start(self, node_id: str, peers: tuple[str, ...], stored: Mapping[str, Any]) -> PStep:
        """Join, or recover from the log."""
        event = participant_recovery_event(stored)
        recovering = event in ("recover: uncertain", "recover: precommitted")
        return self.fire(replace(self.initial(node_id, peers), recovering=recovering), event)

    def step(self, state: ThreePCParticipantState, event: Input) -> PStep:
        """Coordinator's (or a backup's) messages, state questions and reports; timers
        ``coordinator`` (silent coordinator) and ``collect`` (the backup decides)."""
        match event:
            case Deliver(src, CanCommit() as msg):
                return self.fire(state, "CanCommit, vote Yes" if self.vote_yes
                                 else "CanCommit, vote No", src, msg)
            case Deliver(src, PreCommit() as msg):
                return self.fire(state, "PreCommit", src, msg)
            case Deliver(src, Decision() as msg):
                return self.fire(state, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)
            case Deliver(src, DecisionRequest() as msg):
                return self.fire(state, "Ask", src, msg)
            case Deliver(src, StateRequest()):
                return state, (Send(src, StateReport(tx=TX, state=state.phase),
                                    RULE_STATE_REPORT),)
            case Deliver(src, StateReport() | Ack() as msg) if state.reports is not None:
                reported = msg.state if isinstance(msg, StateReport) else PRECOMMITTED
                reports = {**dict(state.reports), src: reported}
                return replace(state, reports=frozenset(reports.items())), ()
            case Fire("coordinator"):
                return self.fire(state, "ask timeout" if state.recovering
                                 else "coordinator timeout")
            case Fire("collect") if state.reports is not None:
                return self.fire(state, termination_event(state.phase, dict(state.reports)))
            case Request() as request:
                return state, refuse(request, "a 3PC participant")
        return state, ()

    # actions -------------------------------------------------------------
    def log_join(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Remember taking part."""
        return st, (Persist("tx", TX, RULE_LOG_JOIN),)

    def take_locks(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Lock the row (until the outcome)."""
        return replace(st, locks=("row",)), ()

    def release_locks(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Decided: release the locks, stop the timers."""
        return replace(st, locks=(), reports=None), (CancelTimer("coordinator", RULE_RELEASE),
                                                     CancelTimer("collect", RULE_RELEASE))

    def log_state(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Force the new state (uncertain / pre-committed) to the log before answering."""
        return st, (Persist("log", st.phase, RULE_LOG_STATE),)

    def log_outcome(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Log the outcome."""
        return st, (Persist("log", COMMIT if st.phase == COMMITTED else ABORT,
                            RULE_LOG_OUTCOME),)

    def send_yes(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Vote Yes."""
        return st, (Send(st.coordinator, Vote(tx=TX, yes=True), RULE_YES),)

    def send_no(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Vote No."""
        return st, (Send(st.coordinator, Vote(tx=TX, yes=False), RULE_NO),)

    def send_ack(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Acknowledge a PreCommit to whoever sent it (coordinator or backup)."""
        return st, (Send(src, Ack(tx=TX), RULE_ACK),)

    def watch(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """(Re)arm the coordinator-silence timer."""
        return st, (timer("coordinator", self.config.coordinator_timeout, RULE_WATCH),)

    def ask_states(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Become a backup coordinator: ask every other participant for its state."""
        return replace(st, reports=frozenset()), (
            *(Send(p, StateRequest(tx=TX), RULE_STATE_REQUEST) for p in _sorted(st.others)),
            timer("collect", self.config.collect_after, RULE_COLLECT))

    def precommit_round(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """TR4: PreCommit to those reported uncertain, then decide again after collecting."""
        assert st.reports is not None
        return st, (*(Send(p, PreCommit(tx=TX), RULE_TR4)
                      for p, state in sorted(st.reports) if state == UNCERTAIN),
                    timer("collect", self.config.collect_after, RULE_COLLECT))

    def send_decision(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """As a backup: the outcome to every other participant."""
        outcome = COMMIT if st.phase == COMMITTED else ABORT
        return st, tuple(Send(p, Decision(tx=TX, outcome=outcome), RULE_BACKUP_DECISION)
                         for p in _sorted(st.others))

    def ask_all(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Recovering: ask the coordinator and the others for the outcome."""
        return st, tuple(Send(p, DecisionRequest(tx=TX), RULE_RECOVER)
                         for p in (st.coordinator, *_sorted(st.others)))

    def answer(self, st: ThreePCParticipantState, src: str, msg: Any) -> PStep:
        """Tell one node the outcome."""
        outcome = COMMIT if st.phase == COMMITTED else ABORT
        return st, (Send(src, Decision(tx=TX, outcome=outcome), RULE_ANSWER),)

    def describe(self, state: ThreePCParticipantState) -> str:
        """``uncertain locks=row@p1``."""
        backup = " backup" if state.reports is not None else ""
        return f"{state.phase}{backup} locks={_locks(state)}"

    def view(self, state: ThreePCParticipantState) -> dict[str, Any]:
        """State and locks."""
        return {"state": state.phase + (" (backup)" if state.reports is not None else ""),
                "locks": _locks(state)}


def _locks(state: ThreePCParticipantState) -> str:
    return ",".join(f"{lock}@{state.node_id}" for lock in state.locks) or "-"


def _sorted(ids: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(ids))


class ThreePCParticipant(ParticipantNode):
    """A 3PC participant as a simulator node (attributes read its state)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], config: CommitConfig | None = None,
                 *, vote_yes: bool = True) -> None:
        super().__init__(node_id, peers, ThreePCParticipantProtocol(config, vote_yes=vote_yes))

    @property
    def coordinator(self) -> str:
        """The coordinator it votes to."""
        return coordinator_ids(self.peers)[0]

    @property
    def others(self) -> tuple[str, ...]:
        """The other participants, sorted."""
        return participant_ids(self.peers)

    @property
    def recovering(self) -> bool:
        """Restarted undecided: asks, never acts as a backup."""
        return self.state is not None and bool(self.state.recovering)

    @property
    def reports(self) -> dict[str, str] | None:
        """As a backup: participant -> reported state (None: not a backup)."""
        found = None if self.state is None else self.state.reports
        return None if found is None else dict(sorted(found))

    @property
    def can_terminate(self) -> bool:
        """In doubt and able to act as a backup coordinator (not restarted)."""
        return self.in_doubt and not self.recovering


check_table(COORDINATOR_TABLE, COORDINATOR_STATES, ThreePCCoordinatorProtocol)
check_table(PARTICIPANT_TABLE, PARTICIPANT_STATES, ThreePCParticipantProtocol)
