"""Helpers for notebook 08 (Paxos): phases, the model checker's bounds, Multi-Paxos tables.

Nothing here changes the protocol; these functions set up runs and read
them out, so that the notebook's cells stay short and the logic they rely
on is tested (``tests/paxos/test_lessons.py``).

* :func:`step_phase` steps a player (or a bare simulation) through one
  message type of single-decree Paxos — all the ``Prepare``s, then all the
  ``Promise``s… — so a learner can look at the acceptors between phases.
* The notebook's model checker,
  :func:`consensus_lab.explore.paxos_scene.model_check`, runs on world
  values (the checker sits above the protocols, so the call that runs it
  lives there), with one ballot per proposer; ``complete: true`` is a claim
  about exactly those bounds.
* :func:`slot_table`, :func:`message_counts` and :func:`kv_history` read a
  Multi-Paxos run: every server's decided command per slot, how many
  phase-1 and phase-2 messages were sent, and the client history in the
  linearizability checker's form.
* :data:`CHAPTER_TABLE` is the chapter's "Paxos vs Raft" table, in English
  and zh-TW, for the notebook to set beside the measured messages per command.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Protocol

from ..consistency import History
from ..sim import ConfigError, PendingEvent, Simulation, SimulationError
from .messages import Accept, Accepted, Prepare, Promise
from .multi.cluster import servers
from .multi.leader import NOOP

#: Single-decree message types in the order the phases use them.
PHASES: dict[str, type] = {"Prepare": Prepare, "Promise": Promise, "Accept": Accept,
                           "Accepted": Accepted}


class Steppable(Protocol):
    """A player (or anything) with a simulation and a ``step`` method."""

    @property
    def sim(self) -> Simulation: ...

    def step(self, n: int = 1) -> int: ...


# ---------------------------------------------------------------- phase by phase
def _sim_of(runner: Steppable | Simulation) -> Simulation:
    return runner if isinstance(runner, Simulation) else runner.sim


def _pending_of(sim: Simulation, kind: type) -> list[PendingEvent]:
    return [e for e in sim.pending() if e.kind == "deliver" and isinstance(e.msg, kind)]


def step_phase(runner: Steppable | Simulation, message: str, *, max_steps: int = 200) -> int:
    """Step until every ``message`` (``"Prepare"``, ``"Promise"``, ``"Accept"``,
    ``"Accepted"``) in flight has been delivered; return the number of steps.

    Steps first until one such message is in flight (a proposer's start
    timer, say), then until none is. ``runner`` is a player (its steps are
    recorded, so the learner can go back) or a simulation.
    """
    if message not in PHASES:
        raise ConfigError(f"unknown phase message {message!r}; choose one of: "
                          f"{', '.join(PHASES)}")
    taken = 0
    for wanted in (True, False):
        while bool(_pending_of(_sim_of(runner), PHASES[message])) != wanted:
            if taken >= max_steps or not runner.step():
                raise SimulationError(f"no {message} phase within {max_steps} steps "
                                      f"(t={_sim_of(runner).now})")
            taken += 1
    return taken


# ---------------------------------------------------------------- Multi-Paxos
def _cell(command: Any) -> str:
    if command is None:
        return "\u00b7"
    if command == NOOP:
        return "no-op"
    return str(command)


def slot_table(sim: Simulation) -> dict[str, dict[int, str]]:
    """Server -> slot -> the command that server knows was decided there
    (``·`` where it knows nothing yet, ``no-op`` for a filled gap, ``crashed``
    for a crashed server). Slots run from 1 to the highest decided anywhere."""
    live = {s.node_id: s for s in servers(sim)}
    top = max((max(s.replica.decisions, default=0) for s in live.values()), default=0)
    table: dict[str, dict[int, str]] = {}
    for node_id in sim.node_ids:
        server = live.get(node_id)
        table[node_id] = {slot: "crashed" if server is None
                          else _cell(server.replica.decisions.get(slot))
                          for slot in range(1, top + 1)}
    return table


def message_counts(sim: Simulation, start: int = 0) -> dict[str, int]:
    """Message type -> how many were sent at or after time ``start`` (from the trace)."""
    counts = Counter(type(r.message).__name__ for r in sim.trace.filter(kind="send")
                     if r.time >= start)
    return dict(sorted(counts.items()))


def kv_history(sim: Simulation) -> History:
    """The run's client history for the ``kv`` model of the linearizability checker
    (a ``get`` of a key never written answers ``None`` here, ``""`` in the model)."""
    ops = [dataclasses.replace(op, output="")
           if op.f == "get" and op.status == "ok" and op.output is None else op
           for op in History.from_sim(sim.history).ops]
    return History(ops)


# ---------------------------------------------------------------- the chapter's table
#: The chapter's "Paxos vs Raft" table (特性 / Paxos / Raft), one dict per row.
CHAPTER_TABLE: tuple[dict[str, str], ...] = (
    {"property": "understandability (易理解性)", "Paxos": "complex (複雜)",
     "Raft": "simple (簡單)"},
    {"property": "implementation effort (實作複雜度)", "Paxos": "high (高)",
     "Raft": "moderate (中等)"},
    {"property": "performance (效能)", "Paxos": "needs optimization: Multi-Paxos (需優化)",
     "Raft": "efficient (高效)"},
    {"property": "used in (工程應用)", "Paxos": "Google Chubby, ZooKeeper (ZAB)",
     "Raft": "etcd, Consul, CockroachDB"},
)
