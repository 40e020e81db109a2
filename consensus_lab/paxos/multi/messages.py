"""The messages of Multi-Paxos, after "Paxos Made Moderately Complex" (PMMC).

A *pvalue* is ``(slot, ballot, command)``: "``command`` proposed for
``slot`` in ``ballot``". Phase 1 (``P1a``/``P1b``) runs once per ballot for
every slot at once; phase 2 (``P2a``/``P2b``) runs once per slot. Names
follow the paper; ``Heartbeat``, ``CatchUp`` and ``Decisions`` are the
lab's additions for a lossy network (PMMC assumes reliable links): the
leader's heartbeat doubles as the failure detector of the paper's §4 and
lets a replica that missed decisions ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..ballot import Ballot

#: (slot, ballot, command) as an acceptor reports it in P1b.
PValue = tuple[int, Ballot, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Propose:
    """replica → leader: "please get ``command`` decided in ``slot``" (PMMC Fig. 1)."""

    slot: int
    command: Any

    def __str__(self) -> str:
        return f"Propose(s={self.slot} {self.command})"


@dataclass(frozen=True, slots=True, kw_only=True)
class P1a:
    """scout → every acceptor, phase 1: "promise ``ballot``; report what you accepted
    from ``from_slot`` on" (PMMC Fig. 4; ``from_slot`` is Lamport's §3 trim: the
    leader already knows every decision below it)."""

    ballot: Ballot
    from_slot: int

    def __str__(self) -> str:
        return f"P1a({self.ballot} from={self.from_slot})"


@dataclass(frozen=True, slots=True, kw_only=True)
class P1b:
    """acceptor → scout: my promised ``ballot`` and my ``accepted`` pvalues (one per slot,
    the highest-ballot one) from the requested slot on (PMMC Fig. 4)."""

    ballot: Ballot
    accepted: tuple[PValue, ...]

    def __str__(self) -> str:
        return f"P1b({self.ballot} acc={len(self.accepted)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class P2a:
    """commander → every acceptor, phase 2: "accept ``command`` for ``slot`` in ``ballot``"."""

    ballot: Ballot
    slot: int
    command: Any

    def __str__(self) -> str:
        return f"P2a({self.ballot} s={self.slot} {self.command})"


@dataclass(frozen=True, slots=True, kw_only=True)
class P2b:
    """acceptor → commander: my promised ``ballot`` after the P2a for ``slot``; equal to
    the commander's ballot means "accepted", higher means "preempted"."""

    ballot: Ballot
    slot: int

    def __str__(self) -> str:
        return f"P2b({self.ballot} s={self.slot})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """commander → every replica: ``command`` is decided (chosen) for ``slot``."""

    slot: int
    command: Any

    def __str__(self) -> str:
        return f"Decision(s={self.slot} {self.command})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """active leader → every other server, every ``heartbeat_interval``: "I lead in
    ``ballot`` and have performed every slot below ``slot_out``"."""

    ballot: Ballot
    slot_out: int

    def __str__(self) -> str:
        return f"Beat({self.ballot} out={self.slot_out})"


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUp:
    """replica → leader: "I have performed the slots below ``from_slot``; send the rest"."""

    from_slot: int

    def __str__(self) -> str:
        return f"CatchUp(from={self.from_slot})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decisions:
    """leader's replica → a lagging replica: decided ``(slot, command)`` pairs, in order."""

    decided: tuple[tuple[int, Any], ...]

    def __str__(self) -> str:
        first = self.decided[0][0] if self.decided else 0
        return f"Decisions({first}..{first + len(self.decided) - 1})"
