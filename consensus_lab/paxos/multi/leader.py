"""The Multi-Paxos leader with its scouts and commanders (PMMC Figs. 5-7).

A leader owns ballots ``(round, its id)``. It is *passive* until a
:class:`Scout` has run phase 1 for its ballot with a majority of acceptors
— once, for every slot at once; then it is *active* and runs only phase 2,
one :class:`Commander` per slot. That is the whole point of Multi-Paxos: a
stable leader pays one round trip per command.

Adopted (PMMC Fig. 7): for every slot, the leader adopts the command of
the highest-ballot pvalue the scout collected (``proposals ◁ pmax(pvals)``:
rule P2c slot by slot), fills every hole below the highest known slot with
a no-op (Paxos Made Simple §3: a new leader "fills the gaps"), and starts a
commander for each slot it does not yet know to be decided.

Preempted: any P1b or P2b carrying a higher ballot means another leader
is at work. PMMC's leader would immediately try a higher ballot — the
duel of single-decree Paxos again. This one steps back instead and lets the
server's failure detector (heartbeats, a randomized election timeout)
decide when to try (PMMC §4, "leader election via failure detection").

Links lose messages here (PMMC assumes they do not), so scouts and
commanders resend to the acceptors that have not answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...kv import Command
from ..ballot import Ballot
from ..config import majority
from .messages import Decision, P1a, P1b, P2a, P2b
from .outbox import Outbox

#: What a leader proposes for a slot nobody filled.
NOOP = Command(client="", seq=0, op="noop")
ADOPTED, PREEMPTED, CHOSEN = "adopted", "preempted", "chosen"


@dataclass(slots=True)
class Scout:
    """Phase 1 for one ballot (PMMC Fig. 6): collect P1b from a majority."""

    ballot: Ballot
    from_slot: int
    acceptors: int
    sent_at: int
    heard: set[str] = field(default_factory=set)
    pvalues: dict[int, tuple[Ballot, Any]] = field(default_factory=dict)  # slot -> pmax

    def receive(self, src: str, msg: P1b) -> str | None:
        """ADOPTED with a majority, PREEMPTED by a higher promise, else None.

        A lower ballot answers an older scout of ours (PMMC gives each scout
        its own process, so it never sees those): stale, ignored.
        """
        if msg.ballot != self.ballot:
            return PREEMPTED if msg.ballot > self.ballot else None
        if src not in self.heard:
            self.heard.add(src)
            for slot, ballot, command in msg.accepted:
                if slot not in self.pvalues or self.pvalues[slot][0] < ballot:
                    self.pvalues[slot] = (ballot, command)
        return ADOPTED if len(self.heard) >= majority(self.acceptors) else None


@dataclass(slots=True)
class Commander:
    """Phase 2 for one slot (PMMC Fig. 5): collect P2b from a majority."""

    ballot: Ballot
    slot: int
    command: Any
    acceptors: int
    sent_at: int
    heard: set[str] = field(default_factory=set)

    def receive(self, src: str, msg: P2b) -> str | None:
        """CHOSEN with a majority, PREEMPTED by a higher promise, else None (stale)."""
        if msg.ballot != self.ballot:
            return PREEMPTED if msg.ballot > self.ballot else None
        self.heard.add(src)
        return CHOSEN if len(self.heard) >= majority(self.acceptors) else None


class Leader:
    """One server's leader role: passive, scouting, or active with commanders."""

    def __init__(self, node_id: str, servers: tuple[str, ...]) -> None:
        self.node_id = node_id
        self.servers = servers
        self.ballot = Ballot(0, node_id)  # our current ballot (round persisted)
        self.highest_seen = Ballot(0, node_id)  # the highest ballot heard of
        self.active = False
        self.proposals: dict[int, Any] = {}  # slot -> command we would propose
        self.base_slot = 1  # our replica had performed every slot below when we scouted
        self.scout: Scout | None = None
        self.commanders: dict[int, Commander] = {}

    # ------------------------------------------------------------ phase 1
    def start_scout(self, out: Outbox, from_slot: int) -> None:
        """Try to lead: a ballot above all we have seen, persisted, then P1a to all."""
        round_ = max(self.ballot.round, self.highest_seen.round) + 1
        self.ballot = self.highest_seen = Ballot(round_, self.node_id)
        out.ctx.persist("leader_round", round_, immutable=True)
        self.active, self.commanders, self.base_slot = False, {}, from_slot
        self.scout = Scout(self.ballot, from_slot, len(self.servers), out.ctx.now)
        out.ctx.note(f"scout for ballot {self.ballot} from slot {from_slot}")
        out.to_all(P1a(ballot=self.ballot, from_slot=from_slot))

    def on_p1b(self, out: Outbox, src: str, msg: P1b,
               decided: Callable[[int], bool]) -> str | None:
        """Feed the scout; returns ADOPTED or PREEMPTED when it finishes."""
        if self.scout is None:
            return None
        outcome = self.scout.receive(src, msg)
        if outcome == PREEMPTED:
            self.preempted(out, msg.ballot)
        elif outcome == ADOPTED:
            self.adopted(out, self.scout.pvalues, decided)
        return outcome

    def adopted(self, out: Outbox, pvalues: dict[int, tuple[Ballot, Any]],
                decided: Callable[[int], bool]) -> None:
        """PMMC Fig. 7 ``adopted``: pmax, fill the gaps with no-ops, a commander per slot."""
        self.scout, self.active = None, True
        for slot, (_ballot, command) in pvalues.items():
            self.proposals[slot] = command  # rule P2c, per slot
        self.fill_gaps(decided)
        out.ctx.note(f"leader with ballot {self.ballot}")
        for slot in sorted(self.proposals):
            if slot >= self.base_slot and not decided(slot):
                self.command(out, slot, self.proposals[slot])

    def fill_gaps(self, decided: Callable[[int], bool]) -> list[int]:
        """Propose a no-op for every empty slot below the highest proposed one."""
        top = max(self.proposals, default=0)
        holes = [s for s in range(self.base_slot, top) if s not in self.proposals
                 and not decided(s)]
        for slot in holes:
            self.proposals[slot] = NOOP
        return holes

    def fill_gaps_and_command(self, out: Outbox, decided: Callable[[int], bool]) -> None:
        """While active: a no-op and its commander for every hole (a lost or odd Propose)."""
        for slot in self.fill_gaps(decided):
            self.command(out, slot, NOOP)

    # ------------------------------------------------------------ phase 2
    def on_propose(self, out: Outbox, slot: int, command: Any,
                   decided: Callable[[int], bool]) -> None:
        """PMMC Fig. 7 ``propose``: first proposal for a slot wins; start it if active."""
        if slot in self.proposals or slot < self.base_slot or decided(slot):
            return
        self.proposals[slot] = command
        if self.active:
            self.command(out, slot, command)

    def command(self, out: Outbox, slot: int, command: Any) -> None:
        """Spawn a commander for ``slot``: P2a to every acceptor."""
        self.commanders[slot] = Commander(self.ballot, slot, command, len(self.servers),
                                          out.ctx.now)
        out.to_all(P2a(ballot=self.ballot, slot=slot, command=command))

    def on_p2b(self, out: Outbox, src: str, msg: P2b) -> None:
        """Feed the slot's commander; chosen → Decision to every replica."""
        commander = self.commanders.get(msg.slot)
        if commander is None:
            return
        outcome = commander.receive(src, msg)
        if outcome == PREEMPTED:
            self.preempted(out, msg.ballot)
        elif outcome == CHOSEN:
            del self.commanders[msg.slot]
            out.to_all(Decision(slot=msg.slot, command=commander.command))

    # ------------------------------------------------------------ others
    def preempted(self, out: Outbox, ballot: Ballot) -> None:
        """A higher ballot exists: stop leading and remember it (no immediate retry)."""
        self.highest_seen = max(self.highest_seen, ballot)
        if ballot > self.ballot:
            if self.active:
                out.ctx.note(f"preempted by ballot {ballot}")
            self.active, self.scout, self.commanders = False, None, {}

    def resend(self, out: Outbox, older_than: int) -> None:
        """Resend phase 1 or 2 to acceptors that have not answered since ``older_than``."""
        if self.scout is not None and self.scout.sent_at <= older_than:
            self.scout.sent_at = out.ctx.now
            for dst in self.servers:
                if dst not in self.scout.heard:
                    out.send(dst, P1a(ballot=self.ballot, from_slot=self.scout.from_slot))
        for commander in self.commanders.values():
            if commander.sent_at <= older_than:
                commander.sent_at = out.ctx.now
                msg = P2a(ballot=commander.ballot, slot=commander.slot, command=commander.command)
                for dst in self.servers:
                    if dst not in commander.heard:
                        out.send(dst, msg)

    def state_key(self) -> tuple[Any, ...]:
        """Everything that decides what the leader does next (no timestamps)."""
        scout = None if self.scout is None else (
            self.scout.ballot, self.scout.from_slot, tuple(sorted(self.scout.heard)),
            tuple(sorted(self.scout.pvalues.items())))
        commanders = tuple((s, c.ballot, c.command, tuple(sorted(c.heard)))
                           for s, c in sorted(self.commanders.items()))
        return (self.ballot, self.highest_seen, self.active, self.base_slot,
                tuple(sorted(self.proposals.items())), scout, commanders)
