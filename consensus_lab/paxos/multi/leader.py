"""The Multi-Paxos leader with its scouts and commanders (PMMC Figs. 5-7), as pure functions.

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

Every function takes a :class:`LeaderState` and the step's
:class:`~.outbox.Outbox` and returns the next state; ``decided`` tells
whether this server's replica knows a slot's decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ...kv import Command
from ...sim.step import Value, frozen
from ..ballot import Ballot
from ..config import majority
from .messages import Decision, P1a, P1b, P2a, P2b
from .outbox import Outbox
from .pmap import EMPTY, PMap

#: What a leader proposes for a slot nobody filled.
NOOP = Command(client="", seq=0, op="noop")
ADOPTED, PREEMPTED, CHOSEN = "adopted", "preempted", "chosen"
Decided = Callable[[int], bool]

SCOUT = ("PMMC Fig. 6 / PMS §2.2 phase 1a: a scout sends p1a(b) to every acceptor, with a "
         "ballot b above every ballot it has seen")
KEEP_ROUND = ("PMS §2.2: a proposer must never reuse a proposal number, so it remembers the "
              "highest round it used in stable storage")
COMMAND = ("PMMC Fig. 5 / PMS §2.2 phase 2a: a commander sends p2a(b, s, c) to every acceptor")
DECIDE = ("PMMC Fig. 5: a commander with p2b(b, s) from a majority of acceptors sends "
          "decision(s, c) to every replica")
RESEND = ("PMMC assumes reliable links; here they lose messages, so scouts and commanders "
          "resend to the acceptors that have not answered")
ADOPT = ("PMMC Fig. 7 adopted: proposals := proposals ◁ pmax(pvals), holes filled with no-ops "
         "(PMS §3); a commander per undecided slot")
STEP_BACK = ("PMMC Fig. 7 preempted, with PMMC §4's failure detection: a leader that sees a "
             "higher ballot becomes passive and waits instead of dueling")


@frozen
class Scout(Value):
    """Phase 1 for one ballot (PMMC Fig. 6): collect P1b from a majority."""

    ballot: Ballot
    from_slot: int
    sent_at: int
    heard: frozenset[str] = frozenset()
    pvalues: PMap = EMPTY  # slot -> pmax (ballot, command) so far

    def receive(self, src: str, msg: P1b, acceptors: int) -> tuple[Scout, str | None]:
        """(scout, ADOPTED with a majority, PREEMPTED by a higher promise, else None).

        A lower ballot answers an older scout of ours (PMMC gives each scout
        its own process, so it never sees those): stale, ignored.
        """
        if msg.ballot != self.ballot:
            return self, PREEMPTED if msg.ballot > self.ballot else None
        scout = self
        if src not in self.heard:
            pvalues = self.pvalues
            for slot, ballot, command in msg.accepted:
                if slot not in pvalues or pvalues[slot][0] < ballot:
                    pvalues = pvalues.set(slot, (ballot, command))
            scout = replace(self, heard=self.heard | {src}, pvalues=pvalues)
        return scout, ADOPTED if len(scout.heard) >= majority(acceptors) else None


@frozen
class Commander(Value):
    """Phase 2 for one slot (PMMC Fig. 5): collect P2b from a majority."""

    ballot: Ballot
    slot: int
    command: Any
    sent_at: int
    heard: frozenset[str] = frozenset()

    def receive(self, src: str, msg: P2b, acceptors: int) -> tuple[Commander, str | None]:
        """(commander, CHOSEN with a majority, PREEMPTED by a higher promise, else None)."""
        if msg.ballot != self.ballot:
            return self, PREEMPTED if msg.ballot > self.ballot else None
        done = replace(self, heard=self.heard | {src})
        return done, CHOSEN if len(done.heard) >= majority(acceptors) else None

    def p2a(self) -> P2a:
        """This commander's request to the acceptors."""
        return P2a(ballot=self.ballot, slot=self.slot, command=self.command)


@frozen
class LeaderState(Value):
    """One server's leader role: passive, scouting, or active with commanders.

    Durable: the round of ``ballot`` (``"leader_round"``). ``base_slot``: our
    replica had performed every slot below it when we scouted.
    """

    ballot: Ballot  # our current ballot
    highest_seen: Ballot  # the highest ballot heard of
    active: bool = False
    proposals: PMap = EMPTY  # slot -> command we would propose
    base_slot: int = 1
    scout: Scout | None = None
    commanders: PMap = EMPTY  # slot -> its Commander


def fresh(node_id: str, round_: int) -> LeaderState:
    """A passive leader whose last used round was ``round_``."""
    ballot = Ballot(round_, node_id)
    return LeaderState(ballot, ballot)


# ------------------------------------------------------------ phase 1
def start_scout(ld: LeaderState, out: Outbox, from_slot: int) -> LeaderState:
    """Try to lead: a ballot above all we have seen, persisted, then P1a to all."""
    round_ = max(ld.ballot.round, ld.highest_seen.round) + 1
    ballot = Ballot(round_, ld.ballot.proposer_id)
    out.persist("leader_round", round_, KEEP_ROUND)
    out.note(f"scout for ballot {ballot} from slot {from_slot}", SCOUT)
    out.to_all(P1a(ballot=ballot, from_slot=from_slot), SCOUT)
    return replace(ld, ballot=ballot, highest_seen=ballot, active=False, commanders=EMPTY,
                  base_slot=from_slot, scout=Scout(ballot, from_slot, out.now))


def on_p1b(ld: LeaderState, out: Outbox, src: str, msg: P1b,
           decided: Decided) -> tuple[LeaderState, str | None]:
    """Feed the scout; the outcome is ADOPTED or PREEMPTED when it finishes."""
    if ld.scout is None:
        return ld, None
    scout, outcome = ld.scout.receive(src, msg, len(out.servers))
    if outcome == PREEMPTED:
        return preempted(ld, out, msg.ballot), outcome
    if outcome == ADOPTED:
        return adopted(ld, out, scout.pvalues, decided), outcome
    return replace(ld, scout=scout), outcome


def adopted(ld: LeaderState, out: Outbox, pvalues: PMap, decided: Decided) -> LeaderState:
    """PMMC Fig. 7 ``adopted``: pmax, fill the gaps with no-ops, a commander per slot."""
    proposals = ld.proposals
    for slot, (_ballot, command) in pvalues.items():
        proposals = proposals.set(slot, command)  # rule P2c, per slot
    ld, _holes = fill_gaps(replace(ld, scout=None, active=True, proposals=proposals), decided,
                           ld.base_slot)
    out.note(f"leader with ballot {ld.ballot}", ADOPT)
    for slot, command in list(ld.proposals.items_from(ld.base_slot)):
        if not decided(slot):
            ld = command_slot(ld, out, slot, command)
    return ld


def fill_gaps(ld: LeaderState, decided: Decided, first: int) -> tuple[LeaderState, list[int]]:
    """A no-op for every empty slot from ``first`` (>= ``base_slot``; every slot below
    ``first`` is decided) up to the highest proposed one; returns the holes too."""
    start = max(first, ld.base_slot)
    holes = [s for s in range(start, ld.proposals.last()) if s not in ld.proposals
             and not decided(s)]
    proposals = ld.proposals
    for slot in holes:
        proposals = proposals.set(slot, NOOP)
    return (replace(ld, proposals=proposals) if holes else ld), holes


def fill_gaps_and_command(ld: LeaderState, out: Outbox, decided: Decided,
                          first: int) -> LeaderState:
    """While active: a no-op and its commander for every hole (a lost or odd Propose)."""
    ld, holes = fill_gaps(ld, decided, first)
    for slot in holes:
        ld = command_slot(ld, out, slot, NOOP)
    return ld


# ------------------------------------------------------------ phase 2
def on_propose(ld: LeaderState, out: Outbox, slot: int, command: Any,
               decided: Decided) -> LeaderState:
    """PMMC Fig. 7 ``propose``: first proposal for a slot wins; start it if active."""
    if slot in ld.proposals or slot < ld.base_slot or decided(slot):
        return ld
    ld = replace(ld, proposals=ld.proposals.set(slot, command))
    return command_slot(ld, out, slot, command) if ld.active else ld


def command_slot(ld: LeaderState, out: Outbox, slot: int, command: Any) -> LeaderState:
    """Spawn a commander for ``slot``: P2a to every acceptor."""
    commander = Commander(ld.ballot, slot, command, out.now)
    out.to_all(commander.p2a(), COMMAND)
    return replace(ld, commanders=ld.commanders.set(slot, commander))


def on_p2b(ld: LeaderState, out: Outbox, src: str, msg: P2b) -> LeaderState:
    """Feed the slot's commander; chosen → Decision to every replica."""
    commander = ld.commanders.get(msg.slot)
    if commander is None:
        return ld
    commander, outcome = commander.receive(src, msg, len(out.servers))
    if outcome == PREEMPTED:
        return preempted(ld, out, msg.ballot)
    if outcome == CHOSEN:
        out.to_all(Decision(slot=msg.slot, command=commander.command), DECIDE)
        return replace(ld, commanders=ld.commanders.without(msg.slot))
    return replace(ld, commanders=ld.commanders.set(msg.slot, commander))


# ------------------------------------------------------------ others
def preempted(ld: LeaderState, out: Outbox, ballot: Ballot) -> LeaderState:
    """A higher ballot exists: stop leading and remember it (no immediate retry)."""
    ld = replace(ld, highest_seen=max(ld.highest_seen, ballot))
    if ballot <= ld.ballot:
        return ld
    if ld.active:
        out.note(f"preempted by ballot {ballot}", STEP_BACK)
    return replace(ld, active=False, scout=None, commanders=EMPTY)


def resend(ld: LeaderState, out: Outbox, older_than: int) -> LeaderState:
    """Resend phase 1 or 2 to acceptors that have not answered since ``older_than``."""
    scout = ld.scout
    if scout is not None and scout.sent_at <= older_than:
        for dst in out.servers:
            if dst not in scout.heard:
                out.send(dst, P1a(ballot=ld.ballot, from_slot=scout.from_slot), RESEND)
        ld = replace(ld, scout=replace(scout, sent_at=out.now))
    commanders = ld.commanders
    for slot, commander in ld.commanders.items():
        if commander.sent_at <= older_than:
            for dst in out.servers:
                if dst not in commander.heard:
                    out.send(dst, commander.p2a(), RESEND)
            commanders = commanders.set(slot, replace(commander, sent_at=out.now))
    return replace(ld, commanders=commanders) if commanders is not ld.commanders else ld
