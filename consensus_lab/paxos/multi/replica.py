"""The Multi-Paxos replica (PMMC Fig. 1): slots in, decisions out, one state machine.

A replica holds client commands in ``requests``, proposes each for the
next free slot ``slot_in`` (at most ``window`` slots ahead of ``slot_out``),
and performs decided commands strictly in slot order, advancing
``slot_out``. When a slot is decided for a command other than the one this
replica proposed there, its own command goes back to ``requests`` for a
later slot (PMMC Fig. 1, ``on Decision``).

The state machine is the lab's key-value store (:class:`~.store.StoreValue`,
the same operations and client sessions Raft's store has), so reads are
linearizable and a client's retried command takes effect once. The replica
that received a client's request answers it when it performs the command.

Two departures from the paper, for a lossy network: a replica proposes to
the leader it believes in (``leader_hint``, learned from heartbeats) rather
than to every leader, and re-proposes its undecided slots every
``resend_interval``; a replica behind the leader (a lost Decision, a
restart) asks for the decisions it missed (``CatchUp``).

A replica keeps nothing on disk: after a crash it catches up again.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import takewhile
from typing import Any

from ...kv import Command
from ...sim import ClientRequest
from ...sim.step import Value, frozen
from .messages import CatchUp, Decisions, Propose
from .outbox import Outbox
from .pmap import EMPTY, PMap
from .store import EMPTY_STORE, StoreValue

#: At most this many decisions in one Decisions message.
CATCH_UP_BATCH = 128

PROPOSE = ("PMMC Fig. 1 propose: while slot_in < slot_out + WINDOW and requests are waiting, "
           "send propose(slot_in, c) to the leader")
REPROPOSE = ("PMMC assumes reliable links; here a replica re-proposes its undecided slots to "
             "the leader it follows")
PERFORM = ("PMMC Fig. 1 perform: apply decided commands in slot order and answer the client "
           "that sent the command")
CATCH_UP = ("lab's addition (PMMC assumes reliable links): a replica behind the leader's "
            "slot_out asks for the decisions it missed")
SEND_DECISIONS = "lab's addition: a replica sends a lagging one the decisions it has performed"

Waiting = tuple[tuple[tuple[str, int], ClientRequest], ...]


@frozen
class ReplicaState(Value):
    """One server's replica: proposals, decisions and the key-value store (all volatile).

    Invariant: ``slot_out <= slot_in``; every slot below ``slot_out`` is in ``decisions``.
    """

    slot_in: int = 1  # next slot to propose in
    slot_out: int = 1  # next slot to perform
    requests: tuple[Any, ...] = ()  # commands waiting for a slot, oldest first
    proposals: PMap = EMPTY  # slot -> our command, until decided
    decisions: PMap = EMPTY  # slot -> decided command
    store: StoreValue = EMPTY_STORE
    waiting: Waiting = ()  # ((client, seq), request) of the clients waiting here
    leader_hint: str | None = None


# ------------------------------------------------------------ requests
def request(rep: ReplicaState, out: Outbox, command: Any, window: int,
            client_request: ClientRequest | None = None) -> ReplicaState:
    """A client command: queue it and propose what the window allows."""
    waiting = rep.waiting
    if client_request is not None and isinstance(command, Command):
        key = (command.client, command.seq)  # a retry waits in place of the first try
        waiting = (*(w for w in waiting if w[0] != key), (key, client_request))
    return propose(replace(rep, requests=(*rep.requests, command), waiting=waiting), out, window)


def propose(rep: ReplicaState, out: Outbox, window: int) -> ReplicaState:
    """PMMC Fig. 1 ``propose``: fill free slots in the window, in order."""
    leader = rep.leader_hint
    if leader is None or not rep.requests:
        return rep  # nobody to propose to yet (the next heartbeat tells us), or nothing
    slot_in, taken, proposals = rep.slot_in, 0, rep.proposals
    while taken < len(rep.requests) and slot_in < rep.slot_out + window:
        if slot_in not in rep.decisions:
            command = rep.requests[taken]
            taken += 1
            proposals = proposals.set(slot_in, command)
            out.send(leader, Propose(slot=slot_in, command=command), PROPOSE)
        slot_in += 1
    return replace(rep, slot_in=slot_in, requests=rep.requests[taken:], proposals=proposals)


def repropose(rep: ReplicaState, out: Outbox) -> None:
    """Resend every undecided proposal to the leader we believe in."""
    if rep.leader_hint is not None:
        for slot, command in rep.proposals.items():
            out.send(rep.leader_hint, Propose(slot=slot, command=command), REPROPOSE)


# ------------------------------------------------------------ decisions
def on_decision(rep: ReplicaState, out: Outbox, slot: int, command: Any,
                window: int) -> ReplicaState:
    """Record a decision; perform every decided slot from ``slot_out`` on, in order."""
    if slot < rep.slot_out or slot in rep.decisions:
        return rep
    decisions = rep.decisions.set(slot, command)
    slot_out, proposals, store, waiting = rep.slot_out, rep.proposals, rep.store, rep.waiting
    requeue: list[Any] = []
    while slot_out in decisions:
        decided = decisions[slot_out]
        ours = proposals.get(slot_out)
        if ours is not None:
            proposals = proposals.without(slot_out)
            if ours != decided:
                requeue.append(ours)  # someone else's command won our slot: try again
        store, waiting = perform(store, waiting, out, decided)
        slot_out += 1
    rep = replace(rep, slot_in=max(rep.slot_in, slot_out), slot_out=slot_out,
                  requests=(*requeue, *rep.requests), proposals=proposals,
                  decisions=decisions, store=store, waiting=waiting)
    return propose(rep, out, window)


def perform(store: StoreValue, waiting: Waiting, out: Outbox,
            command: Any) -> tuple[StoreValue, Waiting]:
    """Apply ``command`` (a duplicate is answered, not applied twice); answer its client."""
    store, result = store.apply(command)
    if isinstance(command, Command):
        key = (command.client, command.seq)
        for i, (who, client_request) in enumerate(waiting):
            if who == key:
                out.reply(client_request, result, PERFORM)
                return store, (*waiting[:i], *waiting[i + 1:])
    return store, waiting


def on_heartbeat(rep: ReplicaState, out: Outbox, leader: str, slot_out: int,
                 window: int) -> ReplicaState:
    """Follow the leader; if it has performed more than we have, ask for the rest."""
    changed = leader != rep.leader_hint
    rep = replace(rep, leader_hint=leader)
    if slot_out > rep.slot_out:
        out.send(leader, CatchUp(from_slot=rep.slot_out), CATCH_UP)
    if changed:
        rep = propose(rep, out, window)
        repropose(rep, out)
    return rep


def on_catch_up(rep: ReplicaState, out: Outbox, src: str, from_slot: int) -> None:
    """Send a lagging replica the decisions it lacks (performed ones only)."""
    upto = min(rep.slot_out, from_slot + CATCH_UP_BATCH)
    batch = tuple(takewhile(lambda pair: pair[0] < upto, rep.decisions.items_from(from_slot)))
    if batch:
        out.send(src, Decisions(decided=batch), SEND_DECISIONS)


def on_decisions(rep: ReplicaState, out: Outbox, batch: Decisions,
                 window: int) -> ReplicaState:
    """Take every decision of a catch-up batch."""
    for slot, command in batch.decided:
        rep = on_decision(rep, out, slot, command, window)
    return rep
