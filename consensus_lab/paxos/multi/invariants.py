"""Safety of Multi-Paxos, checked after every event.

* **Agreement, per slot**: at most one command is chosen for each slot,
  where chosen means "a majority of acceptors have accepted the same ballot
  for that slot with it" (computed from the acceptors, as for single-decree
  Paxos, with a monotone ghost record of every pvalue ever accepted).
* **Validity**: a chosen command is a no-op or a command some client sent.
* **Replica consistency**: a replica only ever decides the command chosen
  for that slot, so no two replicas apply different commands at one slot
  (the state machine safety of Raft §5.4.3).

Theory of operation: each server keeps two ghost journals beside its
state (``MultiPaxosServer.journal`` of accepted pvalues and
``MultiPaxosServer.client_commands``) and each check reads only the
entries added since the last look, per node incarnation — so the checks
cost what changed, not the size of the log. The memory lives in a
:class:`MultiPaxosInvariants` object whose bound methods are installed.
"""

from __future__ import annotations

from typing import Any

from ...sim import Simulation
from ..ballot import Ballot
from ..config import majority
from .leader import NOOP
from .server import MultiPaxosServer


class MultiPaxosInvariants:
    """Agreement per slot, validity and replica consistency, with their memory."""

    def __init__(self) -> None:
        # (slot, ballot) -> (command, acceptors that accepted it)
        self.accepted_by: dict[tuple[int, Ballot], tuple[Any, frozenset[str]]] = {}
        self.chosen: dict[int, tuple[Ballot, Any]] = {}  # slot -> first chosen (ballot, command)
        self.requested: set[Any] = set()  # every command a client sent to some replica
        self.seen: dict[tuple[str, str, int], int] = {}  # (what, node, incarnation) -> position
        self.conflict: str | None = None

    def install(self, sim: Simulation) -> MultiPaxosInvariants:
        """Register the three checks on ``sim``; returns self."""
        sim.add_invariant("agreement per slot", self.agreement)
        sim.add_invariant("validity", self.validity)
        sim.add_invariant("replica consistency", self.replica_consistency)
        return self

    def _new(self, sim: Simulation, what: str, node: MultiPaxosServer,
             items: list[Any]) -> list[Any]:
        key = (what, node.node_id, sim.incarnation(node.node_id))
        start = self.seen.get(key, 0)
        self.seen[key] = len(items)
        return items[start:]

    def _observe(self, sim: Simulation) -> None:
        servers = [n for n in sim.nodes.values() if isinstance(n, MultiPaxosServer)]
        n = len(sim.node_ids)
        for node in servers:
            for slot, ballot, command in self._new(sim, "acc", node, node.journal):
                first, voters = self.accepted_by.get((slot, ballot), (command, frozenset()))
                if first != command and self.conflict is None:
                    self.conflict = (f"slot {slot} ballot {ballot} carries two commands: "
                                     f"{first} and {command}")
                voters = voters | {node.node_id}
                self.accepted_by[(slot, ballot)] = (first, voters)
                if len(voters) >= majority(n):
                    self._chosen(slot, ballot, first)
            self.requested.update(self._new(sim, "req", node, node.client_commands))

    def _chosen(self, slot: int, ballot: Ballot, command: Any) -> None:
        earlier = self.chosen.setdefault(slot, (ballot, command))
        if earlier[1] != command and self.conflict is None:
            self.conflict = (f"slot {slot}: {earlier[1]} chosen in ballot {earlier[0]} and "
                             f"{command} in ballot {ballot}")

    def agreement(self, sim: Simulation) -> str | None:
        """At most one command chosen per slot (PMMC §2, invariant R1's root)."""
        self._observe(sim)
        return self.conflict

    def validity(self, sim: Simulation) -> str | None:
        """Every chosen command is a no-op or was sent by a client."""
        self._observe(sim)
        for slot, (_ballot, command) in self.chosen.items():
            if command != NOOP and command not in self.requested:
                return f"slot {slot}: {command} was chosen but no client sent it"
        return None

    def replica_consistency(self, sim: Simulation) -> str | None:
        """A replica's decision for a slot is the command chosen there."""
        self._observe(sim)
        for node in sim.nodes.values():
            if not isinstance(node, MultiPaxosServer):
                continue
            replica = node.replica
            key = ("dec", node.node_id, sim.incarnation(node.node_id))
            start = self.seen.get(key, 1)
            for slot in range(start, replica.slot_out):
                chosen = self.chosen.get(slot)
                if chosen is None or chosen[1] != replica.decisions[slot]:
                    what = "nothing" if chosen is None else str(chosen[1])
                    return (f"{node.node_id} performed {replica.decisions[slot]} at slot {slot} "
                            f"but {what} was chosen there")
            self.seen[key] = replica.slot_out
        return None
