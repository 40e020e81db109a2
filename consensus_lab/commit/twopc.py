"""Two-phase commit: a coordinator and its participants, as transition tables.

Theory of operation (Gray 1978; Bernstein, Hadzilacos & Goodman 1987,
ch. 7 — "BHG"; DDIA ch. 9, "Atomic Commit and Two-Phase Commit"):

1. **Phase 1.** The coordinator logs that the transaction began and sends
   ``Prepare`` to every participant. A participant that can commit forces a
   *prepared* record to its log (its writes and its locks) and votes Yes;
   from then on it is **in doubt**: it may neither commit nor abort on its
   own and keeps its locks. A participant may vote No, or abort on its own
   at any time *before* it votes Yes.
2. **Phase 2.** With a Yes from *every* participant the coordinator forces
   ``commit`` to its log — the commit point — then sends ``Commit``; a No,
   or a vote missing at the timeout, means ``Abort``.
3. **Recovery.** A participant that restarts with a prepared record is in
   doubt again: it takes its locks back and asks. A coordinator that
   restarts with a commit record sends ``Commit`` again; with none it
   **presumes abort** (Mohan, Lindsay & Obermarck 1986): it never told
   anyone to commit, so abort is safe, and abort need not be logged.

The price: a participant in doubt is **blocked** while the coordinator is
down — it holds its locks and can only wait (DDIA: "the participant has no
choice but to wait"). :mod:`.replicated` removes that by replicating the
coordinator's decision with Paxos; :mod:`.threepc` tries to remove it
without consensus, and fails under a partition.

Each role is a pure step protocol (:mod:`consensus_lab.sim.step`) over an
immutable state value: :class:`CoordinatorProtocol` over
:class:`CoordinatorState`, :class:`ParticipantProtocol` over
:class:`ParticipantState`. What survives a crash is only what the role
wrote with ``Persist`` — the coordinator's ``tx`` and ``decision`` log
records, a participant's ``tx`` and ``log`` (``prepared`` / ``commit`` /
``abort``) — and ``start`` rebuilds the state from that alone. Every
effect names the rule it carries out (the ``RULE_*`` constants).

The rules a learner writes in the ``two_phase_commit`` exercise are the
small pure functions :func:`vote_event`, :func:`coordinator_recovery_event`,
:func:`participant_recovery_event` and :func:`in_doubt_event`; the
protocols only map inputs to events and follow :data:`COORDINATOR_TABLE`
and :data:`PARTICIPANT_TABLE`. :class:`Coordinator` and
:class:`Participant` run them in the simulator (read-only attributes for
the invariants, tables and pictures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..sim.step import (
    CancelTimer,
    Deliver,
    Effects,
    Fire,
    Input,
    Persist,
    Request,
    Send,
    timer,
)
from .config import CommitConfig
from .machine import Table, TableNode, TableProtocol, check_table, refuse
from .messages import ABORT, COMMIT, Decision, DecisionRequest, Prepare, Vote

# ------------------------------------------------------------------ the rule tags
RULE_LOG_BEGIN = ("2PC: the coordinator writes a start record (the participants) before it "
                  "sends any Prepare (BHG §7.4)")
RULE_PREPARE = "2PC phase 1: the coordinator sends Prepare to every participant (DDIA ch. 9)"
RULE_VOTE_TIMER = "2PC: a vote still missing at the timeout means abort (BHG §7.3)"
RULE_COMMIT_POINT = ("2PC: the coordinator writes its commit decision to its log on disk "
                     "before sending it: the commit point (DDIA ch. 9)")
RULE_DECIDED = "2PC: once decided, the coordinator stops waiting for votes (BHG §7.3)"
RULE_DECISION = ("2PC phase 2: the coordinator sends the decision to every participant "
                 "(DDIA ch. 9)")
RULE_ANSWER = ("2PC: a coordinator that knows the outcome tells a participant that asks "
               "(BHG §7.4, cooperative termination)")
RULE_LOG_JOIN = ("2PC: a participant records that it joined, so a restart knows its "
                 "unprepared work was lost (BHG §7.4)")
RULE_ABORT_TIMER = "2PC: before it votes Yes a participant may abort on its own (BHG §7.3)"
RULE_PREPARED = ("2PC: a participant that votes yes must first write its prepared state "
                 "durably (DDIA ch. 9, 'A system of promises')")
RULE_YES = ("2PC: a Yes vote is a promise to commit if told to; no unilateral abort after it "
            "(DDIA ch. 9)")
RULE_NO = "2PC: a participant that cannot commit votes No and aborts (BHG §7.3)"
RULE_LOG_OUTCOME = ("2PC: a participant logs the outcome before it forgets the transaction "
                    "(BHG §7.3)")
RULE_RELEASE = "strict 2PL: a participant's locks and timers go only with the outcome (BHG §7.3)"
RULE_ASK = ("2PC: an in-doubt participant cannot decide alone; it asks the coordinator "
            "(BHG §7.4)")
RULE_ASK_LATER = "2PC: an in-doubt participant asks again while it waits (BHG §7.4)"

TX = "T1"
INIT, PREPARING, WORKING, PREPARED = "init", "preparing", "working", "prepared"
COMMITTED, ABORTED = "committed", "aborted"
COORDINATOR_STATES = (INIT, PREPARING, COMMITTED, ABORTED)
PARTICIPANT_STATES = (INIT, WORKING, PREPARED, COMMITTED, ABORTED)

#: The coordinator of 2PC with presumed abort (BHG §7.3-7.4).
COORDINATOR_TABLE: Table = {
    (INIT, "begin"): (PREPARING, ("log_begin", "send_prepare", "start_vote_timer")),
    (INIT, "recover: commit logged"): (COMMITTED, ("send_decision",)),
    (INIT, "recover: no decision logged"): (ABORTED, ("send_decision",)),  # presumed abort
    (PREPARING, "Yes"): (PREPARING, ("count_yes",)),
    (PREPARING, "Yes from all"): (COMMITTED, ("count_yes", "log_decision", "send_decision")),
    (PREPARING, "No"): (ABORTED, ("send_decision",)),
    (PREPARING, "vote timeout"): (ABORTED, ("send_decision",)),
    (COMMITTED, "Ask"): (COMMITTED, ("answer",)),
    (ABORTED, "Ask"): (ABORTED, ("answer",)),
    (ABORTED, "Yes"): (ABORTED, ("answer",)),  # a Yes after the abort: tell it at once
}

#: A participant of 2PC (BHG §7.3): in doubt from its Yes until it hears the decision.
PARTICIPANT_TABLE: Table = {
    (INIT, "join"): (WORKING, ("log_join", "take_locks", "maybe_abort_later", "ask_later")),
    (INIT, "recover: prepared"): (PREPARED, ("take_locks", "ask", "ask_later")),
    (INIT, "recover: committed"): (COMMITTED, ()),
    (INIT, "recover: aborted"): (ABORTED, ()),
    (INIT, "recover: nothing logged"): (ABORTED, ("log_abort",)),  # the unlogged work is lost
    (WORKING, "Prepare, vote Yes"): (PREPARED, ("log_prepared", "send_yes", "ask_later")),
    (WORKING, "Prepare, vote No"): (ABORTED, ("log_abort", "release_locks", "send_no")),
    (WORKING, "abort on its own"): (ABORTED, ("log_abort", "release_locks")),
    (WORKING, "coordinator silent"): (ABORTED, ("log_abort", "release_locks")),  # no Prepare
    (WORKING, "Abort"): (ABORTED, ("log_abort", "release_locks")),
    (PREPARED, "Prepare, vote Yes"): (PREPARED, ("send_yes",)),  # a duplicate Prepare
    (PREPARED, "Commit"): (COMMITTED, ("log_commit", "release_locks")),
    (PREPARED, "Abort"): (ABORTED, ("log_abort", "release_locks")),
    (PREPARED, "ask timeout"): (PREPARED, ("ask", "ask_later")),
    (PREPARED, "give up: commit"): (COMMITTED, ("log_commit", "release_locks")),  # buggy rule
    (ABORTED, "Prepare, vote Yes"): (ABORTED, ("send_no",)),  # aborted before the vote
    (ABORTED, "Prepare, vote No"): (ABORTED, ("send_no",)),
}


# ------------------------------------------------------------------ the rules
def vote_event(yes_votes: frozenset[str], participants: tuple[str, ...], src: str,
               yes: bool, config: CommitConfig) -> str:
    """The coordinator's decision rule, as the event a vote from ``src`` makes.

    "No" on a No; "Yes from all" when with this vote *every* participant
    has voted Yes (unanimity, BHG §7.3 rule AC1-AC2); "Yes" otherwise. The
    ``majority-commit`` variant counts a majority as enough — wrong.
    """
    if not yes:
        return "No"
    votes = yes_votes | {src}
    needed = len(participants) if config.needs_every_yes else len(participants) // 2 + 1
    return "Yes from all" if len(votes) >= needed else "Yes"


def coordinator_recovery_event(stored: Mapping[str, Any]) -> str:
    """The coordinator's start/restart rule, from its log (presumed abort).

    Nothing logged: a fresh start ("begin"). A commit record: the decision
    was commit ("recover: commit logged"). Begun but no decision: it never
    told anyone to commit, so abort ("recover: no decision logged").
    """
    if "tx" not in stored:
        return "begin"
    if stored.get("decision") == COMMIT:
        return "recover: commit logged"
    return "recover: no decision logged"


def participant_recovery_event(stored: Mapping[str, Any]) -> str:
    """A participant's start/restart rule, from its log.

    A prepared record means in doubt again (take the locks back, ask); a
    decision record is final; joined but nothing else logged means the
    work was lost with the crash: abort (it had not voted Yes).
    """
    if "tx" not in stored:
        return "join"
    log = stored.get("log")
    if log == PREPARED:
        return "recover: prepared"
    if log in (COMMIT, ABORT):
        return "recover: committed" if log == COMMIT else "recover: aborted"
    return "recover: nothing logged"


def in_doubt_event(config: CommitConfig) -> str:
    """What an in-doubt participant does when its ask timer fires: ask again and wait.

    It voted Yes, so the coordinator may have committed: it must not abort;
    others may have aborted: it must not commit (DDIA ch. 9, "Coordinator
    failure"). The ``commit-on-timeout`` variant gives up and commits.
    """
    return "ask timeout" if config.in_doubt_waits else "give up: commit"


def coordinator_ids(peers: tuple[str, ...]) -> tuple[str, ...]:
    """The coordinator(s) among ``peers``: ids starting with ``c``."""
    return tuple(p for p in peers if p.startswith("c"))


def participant_ids(peers: tuple[str, ...]) -> tuple[str, ...]:
    """The participants among ``peers``: ids starting with ``p``."""
    return tuple(p for p in peers if p.startswith("p"))


# ------------------------------------------------------------------ coordinator
@dataclass(frozen=True, slots=True)
class CoordinatorState:
    """The 2PC coordinator's state (a value).

    Durable (written with Persist, read back by ``start``): the ``tx``
    record (the transaction and its participants) and the ``decision``
    record (``commit`` only: presumed abort). ``phase``, ``yes_votes`` and
    ``decision`` are rebuilt from them.
    """

    participants: frozenset[str]  # constant: the participants of T1 (a set: renamable)
    phase: str = INIT
    yes_votes: frozenset[str] = frozenset()
    decision: str | None = None  # COMMIT / ABORT once decided (and sent)

    def __str__(self) -> str:
        return self.phase


CStep = tuple[CoordinatorState, Effects]


class CoordinatorProtocol(TableProtocol[CoordinatorState]):
    """The 2PC coordinator (transaction manager) of transaction ``T1``."""

    TABLE = COORDINATOR_TABLE

    def __init__(self, config: CommitConfig | None = None, table: Table | None = None) -> None:
        super().__init__(table)
        self.config = config or CommitConfig()

    def initial(self, node_id: str, peers: tuple[str, ...]) -> CoordinatorState:
        """The state before the log is read."""
        return CoordinatorState(frozenset(participant_ids(peers)))

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> CStep:
        """Start the transaction, or recover it from the log."""
        return self.fire(self.initial(node_id, peers), coordinator_recovery_event(stored))

    def step(self, state: CoordinatorState, event: Input) -> CStep:
        """Votes, participants' questions, the vote timeout."""
        match event:
            case Deliver(src, Vote() as msg):
                return self.fire(state, vote_event(state.yes_votes, _sorted(state.participants),
                                                   src, msg.yes, self.config), src, msg)
            case Deliver(src, DecisionRequest() as msg):
                return self.fire(state, "Ask", src, msg)
            case Fire("votes"):
                return self.fire(state, "vote timeout")
            case Request() as request:
                return state, refuse(request, "a 2PC coordinator")
        return state, ()

    # actions ------------------------------------------------------------
    def log_begin(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Log the transaction and who takes part, before any Prepare leaves."""
        return st, (Persist("tx", (TX, _sorted(st.participants)), RULE_LOG_BEGIN),)

    def send_prepare(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Phase 1: Prepare to every participant."""
        return st, tuple(Send(p, Prepare(tx=TX), RULE_PREPARE) for p in _sorted(st.participants))

    def start_vote_timer(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Votes missing after ``vote_timeout`` mean abort."""
        return st, (timer("votes", self.config.vote_timeout, RULE_VOTE_TIMER),)

    def count_yes(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Remember ``src``'s Yes."""
        return replace(st, yes_votes=st.yes_votes | {src}), ()

    def log_decision(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """The commit point: force ``commit`` to the log before telling anyone."""
        if not self.config.coordinator_logs_decision:  # the no-log-coordinator bug
            return st, ()
        return st, (Persist("decision", COMMIT, RULE_COMMIT_POINT),)

    def send_decision(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Phase 2: the decision (from the phase) to every participant."""
        decision = COMMIT if st.phase == COMMITTED else ABORT
        return replace(st, decision=decision), (
            CancelTimer("votes", RULE_DECIDED),
            *(Send(p, Decision(tx=TX, outcome=decision), RULE_DECISION)
              for p in _sorted(st.participants)))

    def answer(self, st: CoordinatorState, src: str, msg: Any) -> CStep:
        """Tell one participant the decision."""
        outcome = COMMIT if st.phase == COMMITTED else ABORT
        return st, (Send(src, Decision(tx=TX, outcome=outcome), RULE_ANSWER),)

    def view(self, state: CoordinatorState) -> dict[str, Any]:
        """State and votes, for tables."""
        return {"state": state.phase, "yes": ",".join(sorted(state.yes_votes)) or "-"}

    def describe(self, state: CoordinatorState) -> str:
        """``preparing yes=p1,p2``."""
        return f"{state.phase} yes={','.join(sorted(state.yes_votes)) or '-'}"


class Coordinator(TableNode[CoordinatorState]):
    """The 2PC coordinator as a simulator node (attributes read its state)."""

    protocol: CoordinatorProtocol

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None,
                 protocol: CoordinatorProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or CoordinatorProtocol(config))

    @property
    def config(self) -> CommitConfig:
        """The protocol's timeouts and rule switches."""
        return self.protocol.config

    @property
    def participants(self) -> tuple[str, ...]:
        """The participants, sorted."""
        return participant_ids(self.peers)

    @property
    def yes_votes(self) -> frozenset[str]:
        """The participants that voted Yes so far."""
        return frozenset() if self.state is None else self.state.yes_votes

    @property
    def decision(self) -> str | None:
        """COMMIT / ABORT once decided and sent."""
        return None if self.state is None else self.state.decision


# ------------------------------------------------------------------ participant
@dataclass(frozen=True, slots=True)
class ParticipantState:
    """A 2PC participant's state (a value).

    Durable: the ``tx`` record (joined) and the ``log`` record
    (``prepared``, then ``commit`` / ``abort``); ``start`` rebuilds
    ``phase`` and ``locks`` from them.
    Invariant: ``locks`` is non-empty exactly in ``working`` / ``prepared``.
    """

    node_id: str  # constant (names the locks: row@p1)
    coordinators: tuple[str, ...]  # constant: where votes and questions go
    phase: str = INIT
    locks: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.phase

    @property
    def in_doubt(self) -> bool:
        """Voted Yes and not yet told the outcome: blocked, holding its locks."""
        return self.phase == PREPARED


PStep = tuple[ParticipantState, Effects]


class ParticipantProtocol(TableProtocol[ParticipantState]):
    """A 2PC participant (resource manager) holding a lock on its row while undecided.

    ``vote_yes`` is what it votes; ``abort_after`` (ticks) makes it abort
    on its own before voting (a deadlock victim, say), if no Prepare came
    first.
    """

    TABLE = PARTICIPANT_TABLE

    def __init__(self, config: CommitConfig | None = None, *, vote_yes: bool = True,
                 abort_after: int | None = None, table: Table | None = None) -> None:
        super().__init__(table)
        self.config = config or CommitConfig()
        self.vote_yes = vote_yes
        self.abort_after = abort_after

    def initial(self, node_id: str, peers: tuple[str, ...]) -> ParticipantState:
        """The state before the log is read."""
        return ParticipantState(node_id, coordinator_ids(peers))

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> PStep:
        """Join the transaction, or recover it from the log."""
        return self.fire(self.initial(node_id, peers), participant_recovery_event(stored))

    def step(self, state: ParticipantState, event: Input) -> PStep:
        """Prepare and the decision; ``ask``: no Prepare yet (give up) or still in doubt;
        ``abort``: give up early."""
        match event:
            case Deliver(src, Prepare() as msg):
                return self.fire(state, "Prepare, vote Yes" if self.vote_yes
                                 else "Prepare, vote No", src, msg)
            case Deliver(src, Decision() as msg):
                return self.fire(state, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)
            case Fire("ask") if state.phase == WORKING:
                return self.fire(state, "coordinator silent")
            case Fire("ask"):
                return self.fire(state, in_doubt_event(self.config))
            case Fire("abort"):
                return self.fire(state, "abort on its own")
            case Request() as request:
                return state, refuse(request, "a 2PC participant")
        return state, ()

    # actions ------------------------------------------------------------
    def log_join(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Remember taking part (so a restart knows the work was lost)."""
        return st, (Persist("tx", TX, RULE_LOG_JOIN),)

    def take_locks(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Lock the row this participant writes (strict 2PL: until the decision)."""
        return replace(st, locks=("row",)), ()

    def release_locks(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Decided: the locks go, and so do the ask and abort timers."""
        return replace(st, locks=()), (CancelTimer("ask", RULE_RELEASE),
                                       CancelTimer("abort", RULE_RELEASE))

    def maybe_abort_later(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Arm the unilateral abort, if this participant is set to abort on its own."""
        if self.abort_after is None:
            return st, ()
        return st, (timer("abort", self.abort_after, RULE_ABORT_TIMER),)

    def log_prepared(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Force the prepared record before voting Yes (buggy variant: skip it)."""
        if not self.config.participant_logs_prepared:  # the forgetful-participant bug
            return st, ()
        return st, (Persist("log", PREPARED, RULE_PREPARED),)

    def log_commit(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Log the outcome commit."""
        return st, (Persist("log", COMMIT, RULE_LOG_OUTCOME),)

    def log_abort(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Log the outcome abort."""
        return st, (Persist("log", ABORT, RULE_LOG_OUTCOME),)

    def send_yes(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Vote Yes to the coordinator(s): no more unilateral abort."""
        return st, (CancelTimer("abort", RULE_YES),
                    *(Send(c, Vote(tx=TX, yes=True), RULE_YES) for c in st.coordinators))

    def send_no(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Vote No to the coordinator(s)."""
        return st, tuple(Send(c, Vote(tx=TX, yes=False), RULE_NO) for c in st.coordinators)

    def ask(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """In doubt: ask the coordinator(s) for the decision."""
        return st, tuple(Send(c, DecisionRequest(tx=TX), RULE_ASK) for c in st.coordinators)

    def ask_later(self, st: ParticipantState, src: str, msg: Any) -> PStep:
        """Ask again after ``ask_after`` if still in doubt."""
        return st, (timer("ask", self.config.ask_after, RULE_ASK_LATER),)

    def view(self, state: ParticipantState) -> dict[str, Any]:
        """State and locks, for tables."""
        return {"state": state.phase + (" (in doubt)" if state.in_doubt else ""),
                "locks": lock_names(state)}

    def describe(self, state: ParticipantState) -> str:
        """``prepared locks=row@p1``."""
        return f"{state.phase} locks={lock_names(state)}"


def lock_names(state: Any) -> str:
    """The locks a participant state holds, named ``row@p1`` (``-`` for none)."""
    return ",".join(f"{lock}@{state.node_id}" for lock in state.locks) or "-"


def _sorted(ids: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(ids))


class ParticipantNode(TableNode[Any]):
    """What the simulator, the invariants and the pictures read of any participant."""

    protocol: Any  # a 2PC or 3PC participant protocol

    @property
    def locks(self) -> tuple[str, ...]:
        """The locks held (``("row",)`` or none)."""
        return () if self.state is None else tuple(self.state.locks)

    @property
    def in_doubt(self) -> bool:
        """Voted Yes, no outcome yet: blocked, holding its locks."""
        return self.state is not None and bool(self.state.in_doubt)

    def lock_names(self) -> str:
        """The locks held, named ``row@p1`` (``-`` for none)."""
        return "-" if self.state is None else lock_names(self.state)

    @property
    def config(self) -> CommitConfig:
        """The protocol's timeouts and rule switches."""
        config: CommitConfig = self.protocol.config
        return config

    @property
    def vote_yes(self) -> bool:
        """What this participant votes."""
        return bool(self.protocol.vote_yes)


class Participant(ParticipantNode):
    """A 2PC participant as a simulator node (attributes read its state)."""

    def __init__(self, node_id: str, peers: tuple[str, ...], config: CommitConfig | None = None,
                 *, vote_yes: bool = True, abort_after: int | None = None,
                 protocol: ParticipantProtocol | None = None) -> None:
        super().__init__(node_id, peers, protocol or ParticipantProtocol(
            config, vote_yes=vote_yes, abort_after=abort_after))

    @property
    def coordinators(self) -> tuple[str, ...]:
        """Where votes and questions go."""
        return coordinator_ids(self.peers)

    @property
    def abort_after(self) -> int | None:
        """When it aborts on its own if no Prepare came first (None: never)."""
        after: int | None = self.protocol.abort_after
        return after


check_table(COORDINATOR_TABLE, COORDINATOR_STATES, CoordinatorProtocol)
check_table(PARTICIPANT_TABLE, PARTICIPANT_STATES, ParticipantProtocol)
