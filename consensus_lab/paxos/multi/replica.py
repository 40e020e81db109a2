"""The Multi-Paxos replica (PMMC Fig. 1): slots in, decisions out, one state machine.

A replica holds client commands in ``requests``, proposes each for the
next free slot ``slot_in`` (at most ``window`` slots ahead of ``slot_out``),
and performs decided commands strictly in slot order, advancing
``slot_out``. When a slot is decided for a command other than the one this
replica proposed there, its own command goes back to ``requests`` for a
later slot (PMMC Fig. 1, ``on Decision``).

The state machine is the lab's key-value store (:class:`~consensus_lab.kv.KVStore`,
the same one Raft drives), so reads are linearizable and a client's retried
command takes effect once. The replica that received a client's request
answers it when it performs the command.

Two departures from the paper, for a lossy network: a replica proposes to
the leader it believes in (``leader_hint``, learned from heartbeats) rather
than to every leader, and re-proposes its undecided slots every
``resend_interval``; a replica behind the leader (a lost Decision, a
restart) asks for the decisions it missed (``CatchUp``).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ...kv import Command, KVStore
from ...sim import ClientRequest
from .messages import CatchUp, Decisions, Propose
from .outbox import Outbox

#: At most this many decisions in one Decisions message.
CATCH_UP_BATCH = 128


class Replica:
    """One server's replica: proposals, decisions and the key-value store."""

    def __init__(self, node_id: str, window: int) -> None:
        self.node_id = node_id
        self.window = window
        # Invariant: slot_out <= slot_in; every slot below slot_out is in decisions.
        self.slot_in = 1  # next slot to propose in
        self.slot_out = 1  # next slot to perform
        self.requests: deque[Command] = deque()
        self.proposals: dict[int, Command] = {}  # slot -> our command, until decided
        self.decisions: dict[int, Any] = {}  # slot -> decided command
        self.store = KVStore()
        self.waiting: dict[tuple[str, int], ClientRequest] = {}  # (client, seq) -> request
        self.leader_hint: str | None = None
        self.client_commands: list[Command] = []  # ghost: commands clients sent us (validity)

    # ------------------------------------------------------------ requests
    def request(self, out: Outbox, command: Command,
                client_request: ClientRequest | None = None) -> None:
        """A client command: queue it and propose what the window allows."""
        self.client_commands.append(command)
        if client_request is not None:
            self.waiting[(command.client, command.seq)] = client_request
        self.requests.append(command)
        self.propose(out)

    def propose(self, out: Outbox) -> None:
        """PMMC Fig. 1 ``propose``: fill free slots in the window, in order."""
        if self.leader_hint is None:
            return  # nobody to propose to yet: the next heartbeat tells us
        while self.requests and self.slot_in < self.slot_out + self.window:
            if self.slot_in not in self.decisions:
                command = self.requests.popleft()
                self.proposals[self.slot_in] = command
                out.send(self.leader_hint, Propose(slot=self.slot_in, command=command))
            self.slot_in += 1

    def repropose(self, out: Outbox) -> None:
        """Resend every undecided proposal to the leader we believe in."""
        if self.leader_hint is not None:
            for slot, command in sorted(self.proposals.items()):
                out.send(self.leader_hint, Propose(slot=slot, command=command))

    # ------------------------------------------------------------ decisions
    def on_decision(self, out: Outbox, slot: int, command: Any) -> None:
        """Record a decision; perform every decided slot from ``slot_out`` on, in order."""
        if slot < self.slot_out or slot in self.decisions:
            return
        self.decisions[slot] = command
        requeue: list[Command] = []
        while self.slot_out in self.decisions:
            decided = self.decisions[self.slot_out]
            ours = self.proposals.pop(self.slot_out, None)
            if ours is not None and ours != decided:
                requeue.append(ours)  # someone else's command won our slot: try again
            self.perform(out, decided)
        self.requests.extendleft(reversed(requeue))
        self.slot_in = max(self.slot_in, self.slot_out)
        self.propose(out)

    def perform(self, out: Outbox, command: Any) -> None:
        """Apply ``command`` at ``slot_out`` (a duplicate is answered, not applied twice)."""
        result = self.store.apply(command)
        if isinstance(command, Command):
            request = self.waiting.pop((command.client, command.seq), None)
            if request is not None:
                out.ctx.reply(request, result)
        self.slot_out += 1

    def on_heartbeat(self, out: Outbox, leader: str, slot_out: int) -> None:
        """Follow the leader; if it has performed more than we have, ask for the rest."""
        changed = leader != self.leader_hint
        self.leader_hint = leader
        if slot_out > self.slot_out:
            out.send(leader, CatchUp(from_slot=self.slot_out))
        if changed:
            self.propose(out)
            self.repropose(out)

    def on_catch_up(self, out: Outbox, src: str, from_slot: int) -> None:
        """Send a lagging replica the decisions it lacks (performed ones only)."""
        upto = min(self.slot_out, from_slot + CATCH_UP_BATCH)
        batch = tuple((s, self.decisions[s]) for s in range(from_slot, upto))
        if batch:
            out.send(src, Decisions(decided=batch))

    def on_decisions(self, out: Outbox, batch: Decisions) -> None:
        """Take every decision of a catch-up batch."""
        for slot, command in batch.decided:
            self.on_decision(out, slot, command)

    def state_key(self) -> tuple[Any, ...]:
        """Protocol state (the store follows from the decisions; ghosts left out)."""
        return (self.slot_in, self.slot_out, tuple(self.requests),
                tuple(sorted(self.proposals.items())), tuple(sorted(self.decisions.items())),
                tuple(sorted(self.waiting)), self.leader_hint)
