"""Helpers for notebook 08 (Paxos): phases, the model checker's bounds, Multi-Paxos tables.

Nothing here changes the protocol; these functions set up runs and read
them out, so that the notebook's cells stay short and the logic they rely
on is tested (``tests/paxos/test_lessons.py``).

* :func:`step_phase` steps a player (or a bare simulation) through one
  message type of single-decree Paxos — all the ``Prepare``s, then all the
  ``Promise``s… — so a learner can look at the acceptors between phases.
* :func:`checker_setup`, :func:`one_ballot_each` and :func:`proposer_crashed`
  bound a simulated run the way the notebook's first model checker did.
  The notebook's search itself,
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
from ..sim import ConfigError, Network, PendingEvent, Simulation, SimulationError
from .cluster import paxos_sim
from .config import PROPOSER, check_variant, config_for, role_of
from .messages import Accept, Accepted, Prepare, Promise
from .multi.cluster import servers
from .multi.leader import NOOP
from .proposer import IDLE, Proposer

#: Single-decree message types in the order the phases use them.
PHASES: dict[str, type] = {"Prepare": Prepare, "Promise": Promise, "Accept": Accept,
                           "Accepted": Accepted}
#: The search ignores time, so every message takes one tick.
CHECKER_NETWORK = Network(latency=(1, 1))
#: Variants the checker searches, and the crashes each needs to go wrong.
CHECKER_CRASHES: dict[str, int] = {"correct": 0, "forgetful-acceptor": 0,
                                   "ignores-accepted": 0, "amnesiac-acceptor": 1}


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


# ---------------------------------------------------------------- the model checker
def checker_setup(variant: str = "correct", acceptors: int = 3, proposers: int = 2) -> Simulation:
    """The search's initial state: no learners, no backoff, every proposer has sent
    its ``Prepare(1.pX)`` (its start timer fired: sending is invisible until delivery,
    so starting everyone first loses no schedule)."""
    config = config_for(check_variant(variant), backoff=False, learner_poll=0)
    sim = paxos_sim(acceptors, proposers, 0, network=CHECKER_NETWORK, config=config)
    sim.run(until=lambda s: all(p.phase != IDLE for p in _proposers(s)))
    return sim


def _proposers(sim: Simulation) -> list[Proposer]:
    return [n for n in sim.nodes.values() if isinstance(n, Proposer)]


def _is_answer(event: PendingEvent) -> bool:
    """A message to a proposer: a Promise, Accepted or Nack on its way back."""
    return event.kind == "deliver" and role_of(event.node) == PROPOSER


def one_ballot_each(sim: Simulation, event: PendingEvent) -> bool:
    """The search's bounds, as an ``allow`` filter for ``explore``.

    1. **One ballot per proposer**: no proposer timer fires (a retry would
       start a higher ballot), so the ballots are ``1.p1`` and ``1.p2``.
       Two ballots are enough for each classic bug; more would multiply
       the states.
    2. **Answers go straight back**: while an answer to a proposer is in
       flight, only answers may be delivered. An answer changes only its
       proposer, and with no timers a proposer changes only on answers, so
       delivering it at once commutes with every delivery to an acceptor
       (a partial-order reduction): the acceptors — where "chosen" is
       decided — reach exactly the same states.
    """
    if event.kind == "timer":
        return False
    if _is_answer(event):
        return True
    return not any(_is_answer(e) for e in sim.pending())


def proposer_crashed(sim: Simulation) -> bool:
    """A ``prune`` for the search: do not go on from states where a proposer crashed
    (the crash budget is for acceptors; a crashed proposer only stops proposing)."""
    return any(sim.nodes.get(i) is None for i in sim.node_ids if role_of(i) == PROPOSER)


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
