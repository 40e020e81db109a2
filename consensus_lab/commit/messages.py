"""The messages of two-phase commit, three-phase commit and the saga.

Two-phase commit (Gray, "Notes on Data Base Operating Systems", 1978;
Bernstein, Hadzilacos & Goodman, *Concurrency Control and Recovery*, 1987,
ch. 7): the coordinator sends ``Prepare``, each participant answers with a
``Vote``, the coordinator sends the ``Decision``. An in-doubt participant
asks with ``DecisionRequest``.

Three-phase commit (Skeen, "Nonblocking Commit Protocols", 1981) adds a
round between the vote and the decision: ``CanCommit`` → ``Vote`` →
``PreCommit`` → ``Ack`` → ``Decision`` (DoCommit). When the coordinator
falls silent the participants run a termination protocol among themselves
with ``StateRequest`` / ``StateReport``.

The 2PC whose decision is replicated by consensus reuses the Paxos
messages of :mod:`consensus_lab.paxos.messages`.

Every message carries the transaction id ``tx`` so traces read like the
literature ("T1: p2 votes Yes").
"""

from __future__ import annotations

from dataclasses import dataclass

COMMIT, ABORT = "commit", "abort"


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    """coordinator → every participant, 2PC phase 1: "can you commit ``tx``? vote"."""

    tx: str

    def __str__(self) -> str:
        return f"Prepare({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CanCommit:
    """coordinator → every participant, 3PC phase 1: "can you commit ``tx``? vote" (Skeen)."""

    tx: str

    def __str__(self) -> str:
        return f"CanCommit({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Vote:
    """participant → coordinator(s), phase 1 answer: ``yes`` (prepared, in doubt) or No.

    A Yes is a promise: the participant has logged its writes and will
    commit if told to, whatever happens to it (BHG §7.3, rule "once it
    votes Yes it cannot change its mind").
    """

    tx: str
    yes: bool

    def __str__(self) -> str:
        return f"Vote({self.tx} {'Yes' if self.yes else 'No'})"


@dataclass(frozen=True, slots=True, kw_only=True)
class PreCommit:
    """coordinator (or a 3PC backup) → participants, 3PC phase 2: "everyone voted Yes"."""

    tx: str

    def __str__(self) -> str:
        return f"PreCommit({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """participant → coordinator (or backup), 3PC phase 2 answer: "I am pre-committed"."""

    tx: str

    def __str__(self) -> str:
        return f"Ack({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """coordinator → participants, last phase: the outcome ``commit`` or ``abort``.

    Also the answer to a :class:`DecisionRequest`, and in 3PC the DoCommit
    (or Abort) a backup coordinator sends after the termination protocol.
    """

    tx: str
    outcome: str  # COMMIT or ABORT

    def __str__(self) -> str:
        return f"{'Commit' if self.outcome == COMMIT else 'Abort'}({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRequest:
    """in-doubt participant → coordinator(s) (or a recovering node → anyone): "what was decided?"

    The cooperative part of 2PC recovery (BHG §7.4): a participant that
    voted Yes cannot decide alone, so it keeps asking.
    """

    tx: str

    def __str__(self) -> str:
        return f"Ask({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRequest:
    """3PC backup coordinator → other participants, termination protocol: "your state?"."""

    tx: str

    def __str__(self) -> str:
        return f"StateReq({self.tx})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StateReport:
    """participant → the backup that asked, termination protocol: its 3PC ``state``."""

    tx: str
    state: str

    def __str__(self) -> str:
        return f"State({self.tx} {self.state})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRequest:
    """saga orchestrator → service: run forward step ``step`` (or its compensation)."""

    saga: str
    step: int
    compensate: bool = False

    def __str__(self) -> str:
        return f"{'Undo' if self.compensate else 'Do'}({self.saga}#{self.step})"


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    """service → saga orchestrator: step ``step`` (or its compensation) done, or failed."""

    saga: str
    step: int
    ok: bool
    compensate: bool = False

    def __str__(self) -> str:
        kind = "Undone" if self.compensate else ("Done" if self.ok else "Failed")
        return f"{kind}({self.saga}#{self.step})"
