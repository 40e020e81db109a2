"""The messages of single-decree Paxos (Lamport, "Paxos Made Simple", §2.2-2.3).

Phase 1 is ``Prepare`` → ``Promise`` (or ``Nack``); phase 2 is ``Accept`` →
``Accepted`` (or ``Nack``). Acceptors also send ``Accepted`` to every
learner (§2.3, "Learning a Chosen Value"); a learner that has not learned
yet asks the acceptors again with ``Query``, so a lost ``Accepted`` does
not leave it in the dark for ever.
"""

from __future__ import annotations

from typing import Any

from ..sim.step import Value, frozen
from .ballot import Ballot


def _pvalue(accepted: tuple[Ballot, Any] | None) -> str:
    return "-" if accepted is None else f"{accepted[0]}:{accepted[1]}"


@frozen(kw_only=True)
class Prepare(Value):
    """proposer → every acceptor, phase 1a: "promise me ``ballot``" (PMS §2.2, P2c)."""

    ballot: Ballot

    def __str__(self) -> str:
        return f"Prepare({self.ballot})"


@frozen(kw_only=True)
class Promise(Value):
    """acceptor → proposer, phase 1b: "no ballot below ``ballot`` from me any more".

    ``accepted`` is the highest-ballot proposal this acceptor has accepted, as
    ``(ballot, value)``, or None: the proposer must adopt the value of the
    highest one among a majority of promises (PMS §2.2, rule P2c).
    """

    ballot: Ballot
    accepted: tuple[Ballot, Any] | None

    def __str__(self) -> str:
        return f"Promise({self.ballot} acc={_pvalue(self.accepted)})"


@frozen(kw_only=True)
class Accept(Value):
    """proposer → every acceptor, phase 2a: "accept ``value`` in ``ballot``" (PMS §2.2)."""

    ballot: Ballot
    value: Any

    def __str__(self) -> str:
        return f"Accept({self.ballot} {self.value})"


@frozen(kw_only=True)
class Accepted(Value):
    """acceptor → the ballot's proposer and every learner, phase 2b: "I accepted it" (§2.3)."""

    ballot: Ballot
    value: Any

    def __str__(self) -> str:
        return f"Accepted({self.ballot} {self.value})"


@frozen(kw_only=True)
class Nack(Value):
    """acceptor → proposer, either phase: ``ballot`` is refused, I promised ``promised``.

    Paxos Made Simple notes (§2.2) that an acceptor *may* tell a proposer to
    abandon a proposal numbered below its promise; PMMC calls this being
    *preempted*. The proposer learns a round to outbid.
    """

    ballot: Ballot
    promised: Ballot

    def __str__(self) -> str:
        return f"Nack({self.ballot} < {self.promised})"


@frozen(kw_only=True)
class Query(Value):
    """learner → every acceptor: "tell me again what you accepted" (answered with Accepted)."""

    def __str__(self) -> str:
        return "Query()"
