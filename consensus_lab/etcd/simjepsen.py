"""The embedded Jepsen run: simulated clients and nemesis inside the simulator.

Theory of operation. :class:`SimRunner` keeps, for each client, either the
request it is waiting for or the simulated time it wakes up for its next
operation. Its loop submits every due operation with ``sim.submit`` (the
client's current member, a timeout of ``config.timeout``), applies every
due nemesis action, then runs the simulation until the next completion or
the next wake-up. Completions come from the simulator's own history
(``ok`` / ``fail`` / ``info`` rows, matched by request id). All randomness
comes from the seed (the simulation's and the workload's), so a run is a
function of its :class:`~.jepsen.JepsenConfig`.

A client talks to one member (client ``i`` starts on member ``i mod n``) and
moves to the next member after a ``fail`` or an ``info``, as a real client
fails over. The failover time of a fault is measured exactly: the run's
predicate watches, after every event, for a member other than the old leader
that is up and leads.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..consistency import History, Op
from ..raft.node import LEADER, RaftNode
from .embedded import EmbeddedCluster
from .errors import InvalidRequest
from .jepsen import (
    Fault,
    JepsenConfig,
    JepsenResult,
    Workload,
    fault_times,
    finish,
    note_first_writes,
    process_name,
    run_real,
)
from .node import TICKS_PER_SECOND
from .ops import Compare, Get, Put, as_txn


@dataclass
class _Client:
    """A simulated client: where it talks, what it waits for, when it acts next."""

    index: int
    member: str
    incarnation: int = 0
    request: int | None = None  # the request id it waits for
    op: tuple[str, str, Any] | None = None
    call: int = 0
    wake: int = 0


def _request(f: str, key: str, value: Any, reads: str) -> tuple[str, Any]:
    """The etcd request for a register operation: ``(request kind, op)``."""
    if f == "read":
        return ("range_serializable" if reads == "serializable" else "range"), Get(key=key)
    if f == "write":
        return "put", Put(key=key, value=str(value))
    expected, new = value
    guard = Compare(key=key, target="value", result="==", operand=str(expected))
    return "txn", as_txn([guard], [Put(key=key, value=str(new))], [])


def _output(f: str, answer: Any) -> Any:
    """A register output from an etcd answer."""
    if f == "read":
        return None if answer.value is None else int(answer.value)
    if f == "cas":
        return bool(answer.succeeded)
    return None


class SimRunner:
    """One embedded run (see the module docstring)."""

    def __init__(self, config: JepsenConfig) -> None:
        self.cfg = config
        self.cluster = EmbeddedCluster(config.members, seed=config.seed)
        self.sim = self.cluster.sim
        self.workload = Workload(config)
        self.history = History()
        self.faults: list[Fault] = []
        self.by_request: dict[int, _Client] = {}
        self._seen = 0
        self._watching: tuple[Fault, str, int] | None = None  # fault, old leader, tick

    # ---- time
    def ticks(self, seconds: float) -> int:
        """Seconds → ticks."""
        return round(seconds * TICKS_PER_SECOND)

    def rel(self, tick: int) -> float:
        """A tick → seconds since the run started."""
        return (tick - self.t0) / TICKS_PER_SECOND

    # ---- the run
    def run(self) -> tuple[History, list[Fault]]:
        """Run the workload and the nemesis, heal, read every key; the history and faults."""
        self.cluster.wait_for_leader(timeout=10.0)
        self.t0 = self.sim.now
        members = self.cluster.members
        self.clients = [_Client(i, members[i % len(members)], wake=self.t0)
                        for i in range(self.cfg.clients)]
        # cfg's Optional timings are filled in (resolved) before a run starts
        self.end = self.t0 + self.ticks(self.cfg.seconds)  # type: ignore[arg-type]
        self.plan = self._nemesis_plan()
        while self.sim.now < self.end or any(c.request is not None for c in self.clients):
            self._nemesis_due()
            self._submit_due()
            self._advance()
            self._collect()
        self._heal_all()
        self._final_reads()
        note_first_writes(self.history, self.faults)
        return self.history, self.faults

    def _submit_due(self) -> None:
        if self.sim.now >= self.end:
            return
        for client in self.clients:
            if client.request is None and client.wake <= self.sim.now:
                self._submit(client, self.workload.next_op(client.index))

    def _submit(self, client: _Client, op: tuple[str, str, Any]) -> None:
        f, key, value = op
        kind, request = _request(f, key, value, self.cfg.reads)
        name = process_name(client.index, client.incarnation, self.cfg.clients)
        # cfg.timeout is resolved (not None) once a run starts
        sent = self.sim.submit(client.member, kind, key=key, value=request, client=name,
                               timeout=self.ticks(self.cfg.timeout))  # type: ignore[arg-type]
        client.request, client.op, client.call = sent.id, op, self.sim.now
        self.by_request[sent.id] = client

    def _next_event(self) -> int:
        times = [c.wake for c in self.clients if c.request is None and self.sim.now < self.end]
        times += [t for t, _, _ in self.plan]
        if self.sim.now < self.end:
            times.append(self.end)
        return min(times, default=self.sim.now + 1)

    def _advance(self) -> None:
        wake = max(self._next_event(), self.sim.now)
        seen = len(self.sim.history.ops)

        def stop(sim: Any) -> bool:
            self._watch_failover()
            upcoming = sim.peek()
            return len(sim.history.ops) > seen or upcoming is None or upcoming > wake

        self.sim.run(until=stop)
        if len(self.sim.history.ops) == seen and self.sim.now < wake:
            self.sim.run(until=wake)

    def _collect(self) -> None:
        rows = self.sim.history.ops
        for row in rows[self._seen:]:
            client = self.by_request.pop(row.request_id, None) if row.type != "invoke" else None
            if client is None or client.op is None:
                continue
            self._complete(client, row.type, row.value, row.time)
        self._seen = len(rows)

    def _complete(self, client: _Client, status: str, answer: Any, tick: int) -> None:
        f, key, value = client.op  # type: ignore[misc]  # the caller checked op is not None
        output = _output(f, answer) if status == "ok" else None
        name = process_name(client.index, client.incarnation, self.cfg.clients)
        ret = math.inf if status == "info" else self.rel(tick)
        op = self.history.add(name, f, value, self.rel(client.call), ret, output=output,
                              key=key, status=status)
        self.workload.saw(client.index, op)
        if status != "ok":
            members = self.cluster.members
            client.member = members[(members.index(client.member) + 1) % len(members)]
        if status == "info":
            client.incarnation += 1
        client.request, client.op = None, None
        client.wake = self.sim.now + self.ticks(self.workload.pause(client.index))

    # ---- nemesis
    def _nemesis_plan(self) -> list[tuple[int, str, Fault | None]]:
        plan: list[tuple[int, str, Fault | None]] = []
        for start, end in fault_times(self.cfg):
            plan.append((self.t0 + self.ticks(start), "start", None))
            plan.append((self.t0 + self.ticks(end), "end", None))
        return plan

    def _nemesis_due(self) -> None:
        while self.plan and self.plan[0][0] <= self.sim.now:
            _, what, _ = self.plan.pop(0)
            if what == "start":
                self._start_fault()
            else:
                self._end_fault()

    def _start_fault(self) -> None:
        leader = self.cluster.leader() or self._any_leader()
        if leader is None:
            return  # no leader to hurt right now (still electing): skip this fault
        fault = Fault(self.cfg.nemesis, leader, self.rel(self.sim.now))
        if self.cfg.nemesis == "kill":
            self.cluster.kill(leader)
        elif self.cfg.nemesis == "pause":
            self.cluster.pause(leader)
        else:
            others = [m for m in self.cluster.members if m != leader]
            self.cluster.partition([leader], others)
        self.faults.append(fault)
        self._watching = (fault, leader, self.sim.now)

    def _any_leader(self) -> str | None:
        for member in self.cluster.members:
            node = self.sim.nodes[member]
            if isinstance(node, RaftNode) and member not in self.sim.paused and node.role == LEADER:
                return member
        return None

    def _end_fault(self) -> None:
        if not self.faults or self.faults[-1].healed_at is not None:
            return
        fault = self.faults[-1]
        if fault.action == "kill":
            self.cluster.restart(fault.member)
        elif fault.action == "pause":
            self.cluster.resume(fault.member)
        else:
            self.cluster.heal()
        fault.healed_at = self.rel(self.sim.now)
        self._watching = None

    def _watch_failover(self) -> None:
        if self._watching is None:
            return
        fault, old, since = self._watching
        for member in self.cluster.members:
            node = self.sim.nodes[member]
            if (member != old and isinstance(node, RaftNode) and member not in self.sim.paused
                    and node.role == LEADER):
                fault.new_leader = member
                fault.failover = (self.sim.now - since) / TICKS_PER_SECOND
                self._watching = None
                return

    def _heal_all(self) -> None:
        for member in self.cluster.members:
            if member in self.sim.crashed:
                self.cluster.restart(member)
            if member in self.sim.paused:
                self.cluster.resume(member)
        self.cluster.heal()

    # ---- the final read
    def _final_reads(self) -> None:
        """Read every key through a linearizable get until it succeeds (Jepsen's final read)."""
        for key in self.workload.keys:
            for _ in range(20):
                leader = self.cluster.wait_for_leader(timeout=10.0)
                if self._final_read(key, leader).status == "ok":
                    break

    def _final_read(self, key: str, member: str) -> Op:
        call = self.sim.now
        sent = self.sim.submit(member, "range", key=key, value=Get(key=key), client="final",
                               timeout=self.ticks(2.0))
        done: list[Any] = []

        def answered(sim: Any) -> bool:
            for row in sim.history.ops[self._seen:]:
                if row.request_id == sent.id and row.type != "invoke":
                    done.append(row)
            self._seen = len(sim.history.ops)
            return bool(done)

        self.sim.run(until=answered)
        row = done[0]
        ret = math.inf if row.type == "info" else self.rel(row.time)
        output = _output("read", row.value) if row.type == "ok" else None
        return self.history.add("final", "read", None, self.rel(call), ret, output=output,
                                key=key, status=row.type)


__all__ = ["SimRunner", "run", "run_embedded"]


# ------------------------------------------------------------------ embedded runner


def run_embedded(config: JepsenConfig) -> JepsenResult:
    """A run on the embedded cluster (simulated clients; the seed fixes everything)."""
    if config.backend != "embedded":
        raise InvalidRequest(f"run_embedded needs backend 'embedded', got {config.backend!r}")
    cfg = config.resolved()
    history, faults = SimRunner(cfg).run()
    return finish(cfg, history, faults)


# ------------------------------------------------------------------ entry point


def run(config: JepsenConfig) -> JepsenResult:
    """Run on the configured backend: here for ``embedded``, :func:`.jepsen.run_real`
    for ``etcd`` (draw it with :func:`consensus_lab.viz.write_jepsen_timeline`)."""
    runner: Callable[..., JepsenResult] = run_embedded if config.backend == "embedded" \
        else run_real
    return runner(config)
