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

The rules a learner writes in the ``two_phase_commit`` exercise are the
small pure functions :func:`vote_event`, :func:`coordinator_recovery_event`,
:func:`participant_recovery_event` and :func:`in_doubt_event`; the nodes
only map messages to events and follow :data:`COORDINATOR_TABLE` and
:data:`PARTICIPANT_TABLE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..sim import Context
from .config import CommitConfig
from .machine import Table, TableNode, check_table
from .messages import ABORT, COMMIT, Decision, DecisionRequest, Prepare, Vote

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
class Coordinator(TableNode):
    """The 2PC coordinator (transaction manager) of transaction ``T1``."""

    TABLE = COORDINATOR_TABLE

    def __init__(self, node_id: str, peers: tuple[str, ...],
                 config: CommitConfig | None = None) -> None:
        super().__init__(node_id, peers, INIT)
        self.config = config or CommitConfig()
        self.participants = participant_ids(self.peers)
        self.yes_votes: frozenset[str] = frozenset()
        self.decision: str | None = None  # COMMIT / ABORT once decided

    def on_start(self, ctx: Context) -> None:
        """Start the transaction, or recover it from the log."""
        self.fire(ctx, coordinator_recovery_event(ctx.stored))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Votes and participants' questions."""
        if isinstance(msg, Vote):
            self.fire(ctx, vote_event(self.yes_votes, self.participants, src, msg.yes,
                                      self.config), src, msg)
        elif isinstance(msg, DecisionRequest):
            self.fire(ctx, "Ask", src, msg)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``votes``: the vote timeout."""
        if name == "votes":
            self.fire(ctx, "vote timeout")

    # actions ------------------------------------------------------------
    def log_begin(self, ctx: Context, src: str, msg: Any) -> None:
        """Log the transaction and who takes part, before any Prepare leaves."""
        ctx.persist("tx", (TX, self.participants), immutable=True)

    def send_prepare(self, ctx: Context, src: str, msg: Any) -> None:
        """Phase 1: Prepare to every participant."""
        for p in self.participants:
            ctx.send(p, Prepare(tx=TX))

    def start_vote_timer(self, ctx: Context, src: str, msg: Any) -> None:
        """Votes missing after ``vote_timeout`` mean abort."""
        ctx.set_timer("votes", self.config.vote_timeout)

    def count_yes(self, ctx: Context, src: str, msg: Any) -> None:
        """Remember ``src``'s Yes."""
        self.yes_votes = self.yes_votes | {src}

    def log_decision(self, ctx: Context, src: str, msg: Any) -> None:
        """The commit point: force ``commit`` to the log before telling anyone."""
        if self.config.coordinator_logs_decision:
            ctx.persist("decision", COMMIT, immutable=True)

    def send_decision(self, ctx: Context, src: str, msg: Any) -> None:
        """Phase 2: the decision (from the state) to every participant."""
        self.decision = COMMIT if self.state == COMMITTED else ABORT
        ctx.cancel_timer("votes")
        for p in self.participants:
            ctx.send(p, Decision(tx=TX, outcome=self.decision))

    def answer(self, ctx: Context, src: str, msg: Any) -> None:
        """Tell one participant the decision."""
        ctx.send(src, Decision(tx=TX, outcome=COMMIT if self.state == COMMITTED else ABORT))

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable (for the model checker)."""
        return ("2pc-coordinator", self.state, self.yes_votes, self.decision)

    def view(self) -> dict[str, Any]:
        """State and votes, for tables."""
        return {"state": self.state, "yes": ",".join(sorted(self.yes_votes)) or "-"}

    def describe(self) -> str:
        """``preparing yes=p1,p2``."""
        return f"{self.state} yes={','.join(sorted(self.yes_votes)) or '-'}"


# ------------------------------------------------------------------ participant
class Participant(TableNode):
    """A 2PC participant (resource manager) holding a lock on its row while undecided.

    ``vote_yes`` is what it votes; ``abort_after`` (ticks) makes it abort
    on its own before voting (a deadlock victim, say), if no Prepare came
    first.
    """

    TABLE = PARTICIPANT_TABLE

    def __init__(self, node_id: str, peers: tuple[str, ...], config: CommitConfig | None = None,
                 *, vote_yes: bool = True, abort_after: int | None = None) -> None:
        super().__init__(node_id, peers, INIT)
        self.config = config or CommitConfig()
        self.coordinators = coordinator_ids(self.peers)
        self.vote_yes = vote_yes
        self.abort_after = abort_after
        self.locks: tuple[str, ...] = ()  # Invariant: non-empty exactly in working / prepared

    def on_start(self, ctx: Context) -> None:
        """Join the transaction, or recover it from the log."""
        self.fire(ctx, participant_recovery_event(ctx.stored))

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Prepare and the decision."""
        if isinstance(msg, Prepare):
            self.fire(ctx, "Prepare, vote Yes" if self.vote_yes else "Prepare, vote No",
                      src, msg)
        elif isinstance(msg, Decision):
            self.fire(ctx, "Commit" if msg.outcome == COMMIT else "Abort", src, msg)

    def on_timer(self, ctx: Context, name: str) -> None:
        """``ask``: no Prepare yet (give up) or still in doubt; ``abort``: give up early."""
        if name == "ask" and self.state == WORKING:
            self.fire(ctx, "coordinator silent")
        elif name == "ask":
            self.fire(ctx, in_doubt_event(self.config))
        elif name == "abort":
            self.fire(ctx, "abort on its own")

    # actions ------------------------------------------------------------
    def log_join(self, ctx: Context, src: str, msg: Any) -> None:
        """Remember taking part (so a restart knows the work was lost)."""
        ctx.persist("tx", TX, immutable=True)

    def take_locks(self, ctx: Context, src: str, msg: Any) -> None:
        """Lock the row this participant writes (strict 2PL: until the decision)."""
        self.locks = ("row",)

    def release_locks(self, ctx: Context, src: str, msg: Any) -> None:
        """Decided: the locks go, and so do the ask and abort timers."""
        self.locks = ()
        ctx.cancel_timer("ask")
        ctx.cancel_timer("abort")

    def maybe_abort_later(self, ctx: Context, src: str, msg: Any) -> None:
        """Arm the unilateral abort, if this participant is set to abort on its own."""
        if self.abort_after is not None:
            ctx.set_timer("abort", self.abort_after)

    def log_prepared(self, ctx: Context, src: str, msg: Any) -> None:
        """Force the prepared record before voting Yes (buggy variant: skip it)."""
        if self.config.participant_logs_prepared:
            ctx.persist("log", PREPARED, immutable=True)

    def log_commit(self, ctx: Context, src: str, msg: Any) -> None:
        """Log the outcome commit."""
        ctx.persist("log", COMMIT, immutable=True)

    def log_abort(self, ctx: Context, src: str, msg: Any) -> None:
        """Log the outcome abort."""
        ctx.persist("log", ABORT, immutable=True)

    def send_yes(self, ctx: Context, src: str, msg: Any) -> None:
        """Vote Yes to the coordinator(s)."""
        ctx.cancel_timer("abort")
        for c in self.coordinators:
            ctx.send(c, Vote(tx=TX, yes=True))

    def send_no(self, ctx: Context, src: str, msg: Any) -> None:
        """Vote No to the coordinator(s)."""
        for c in self.coordinators:
            ctx.send(c, Vote(tx=TX, yes=False))

    def ask(self, ctx: Context, src: str, msg: Any) -> None:
        """In doubt: ask the coordinator(s) for the decision."""
        for c in self.coordinators:
            ctx.send(c, DecisionRequest(tx=TX))

    def ask_later(self, ctx: Context, src: str, msg: Any) -> None:
        """Ask again after ``ask_after`` if still in doubt."""
        ctx.set_timer("ask", self.config.ask_after)

    def state_key(self) -> tuple[Any, ...]:
        """The protocol state, hashable (for the model checker)."""
        return ("2pc-participant", self.state, self.locks, self.vote_yes, self.abort_after)

    def lock_names(self) -> str:
        """The locks held, named ``row@p1`` (``-`` for none)."""
        return ",".join(f"{lock}@{self.node_id}" for lock in self.locks) or "-"

    @property
    def in_doubt(self) -> bool:
        """Voted Yes and not yet told the outcome: blocked, holding its locks."""
        return self.state == PREPARED

    def view(self) -> dict[str, Any]:
        """State and locks, for tables."""
        return {"state": self.state + (" (in doubt)" if self.in_doubt else ""),
                "locks": self.lock_names()}

    def describe(self) -> str:
        """``prepared locks=row@p1``."""
        return f"{self.state} locks={self.lock_names()}"


check_table(COORDINATOR_TABLE, COORDINATOR_STATES, Coordinator)
check_table(PARTICIPANT_TABLE, PARTICIPANT_STATES, Participant)
