"""A saga: forward steps, and compensating steps in reverse when one fails.

Theory of operation (Garcia-Molina & Salem, "Sagas", SIGMOD 1987; the
chapter's alternative to distributed transactions): a long transaction is
a sequence of local transactions ``T1 … Tn``, each committed at once by
its own service, each with a *compensating* transaction ``Ci`` that
semantically undoes it. An orchestrator runs ``T1, T2, …``; if ``Tk``
fails it runs ``C(k-1), …, C1``, in reverse. The outcome is atomic in the
end (all steps done, or all done steps undone) but **not isolated**: other
readers see every intermediate state — a flight reserved, then released —
which :func:`run_saga` records as :attr:`SagaResult.snapshots`.

The orchestrator is a :class:`~.machine.TableNode` driven by
:data:`ORCHESTRATOR_TABLE` and logs its progress (the saga log) before
each request, so a restarted orchestrator carries on where it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from ..sim import ConfigError, Context, Network, Node, Simulation
from .machine import Table, TableNode, check_table
from .messages import StepRequest, StepResult

SAGA = "S1"
RUNNING, COMPENSATING, DONE, COMPENSATED = "running", "compensating", "done", "compensated"
ORCHESTRATOR_STATES = ("init", RUNNING, COMPENSATING, DONE, COMPENSATED)

#: The saga orchestrator (Garcia-Molina & Salem 1987, backward recovery).
ORCHESTRATOR_TABLE: Table = {
    ("init", "begin"): (RUNNING, ("request_step",)),
    ("init", "recover: running"): (RUNNING, ("request_step",)),
    ("init", "recover: compensating"): (COMPENSATING, ("request_undo",)),
    ("init", "recover: done"): (DONE, ()),
    ("init", "recover: compensated"): (COMPENSATED, ()),
    (RUNNING, "step done, more to do"): (RUNNING, ("next_step", "request_step")),
    (RUNNING, "last step done"): (DONE, ("log_progress",)),
    (RUNNING, "step failed, undo the earlier ones"): (COMPENSATING, ("back_one", "request_undo")),
    (RUNNING, "first step failed"): (COMPENSATED, ("log_progress",)),
    (COMPENSATING, "undone, more to undo"): (COMPENSATING, ("back_one", "request_undo")),
    (COMPENSATING, "last undone"): (COMPENSATED, ("log_progress",)),
}

#: Default step names: a trip booking, the classic saga example.
STEP_NAMES = ("reserve flight", "book hotel", "rent car", "charge card", "send tickets")

DEFAULT_NETWORK = Network(latency=(2, 10))


class Orchestrator(TableNode):
    """Runs steps 1..n on services ``s1..sn`` in order; compensates in reverse on failure."""

    TABLE = ORCHESTRATOR_TABLE

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, "init")
        self.services = tuple(sorted(p for p in self.peers if p.startswith("s")))
        self.step = 1  # the step being run (or, compensating, being undone)

    def on_start(self, ctx: Context) -> None:
        """Begin, or carry on from the saga log."""
        logged = ctx.stored.get("progress")
        if logged is None:
            self.fire(ctx, "begin")
            return
        state, self.step = logged
        self.fire(ctx, f"recover: {state}")

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """A step's (or a compensation's) result."""
        if not isinstance(msg, StepResult) or msg.step != self.step:
            return
        last = len(self.services)
        if msg.compensate:
            self.fire(ctx, "last undone" if self.step == 1 else "undone, more to undo")
        elif msg.ok:
            self.fire(ctx, "last step done" if self.step == last else "step done, more to do")
        else:
            self.fire(ctx, "first step failed" if self.step == 1
                      else "step failed, undo the earlier ones")

    def log_progress(self, ctx: Context, src: str = "", msg: Any = None) -> None:
        """The saga log: state and step, before the next request leaves."""
        ctx.persist("progress", (self.state, self.step), immutable=True)

    def next_step(self, ctx: Context, src: str, msg: Any) -> None:
        """Move on to the next forward step."""
        self.step += 1

    def back_one(self, ctx: Context, src: str, msg: Any) -> None:
        """Move back to the previous step (the next one to compensate)."""
        self.step -= 1

    def request_step(self, ctx: Context, src: str, msg: Any) -> None:
        """Log, then ask the step's service to run it."""
        self.log_progress(ctx)
        ctx.send(self.services[self.step - 1], StepRequest(saga=SAGA, step=self.step))

    def request_undo(self, ctx: Context, src: str, msg: Any) -> None:
        """Log, then ask the step's service to run its compensation."""
        self.log_progress(ctx)
        ctx.send(self.services[self.step - 1],
                 StepRequest(saga=SAGA, step=self.step, compensate=True))

    def describe(self) -> str:
        """``running step 2``."""
        return f"{self.state} step {self.step}"


class Service(Node):
    """One service: runs its local transaction (or fails it) and its compensation.

    ``record`` is what any reader of this service sees: ``-`` before,
    ``done`` once its step committed, ``undone`` after the compensation,
    ``failed`` if the step failed (nothing was changed).
    """

    def __init__(self, node_id: str, peers: tuple[str, ...], name: str, fails: bool) -> None:
        super().__init__(node_id, peers)
        self.name, self.fails = name, fails
        self.record = "-"

    def on_start(self, ctx: Context) -> None:
        """Local transactions commit at once: the record is durable."""
        self.record = ctx.stored.get("record", "-")

    def on_message(self, ctx: Context, src: str, msg: Any) -> None:
        """Run the step or its compensation (each idempotent), and answer."""
        if not isinstance(msg, StepRequest):
            return
        ok = True
        if msg.compensate:
            if self.record == "done":
                self.record = "undone"
        elif self.fails:
            self.record, ok = "failed", False
        elif self.record == "-":
            self.record = "done"
        ctx.persist("record", self.record, immutable=True)
        ctx.send(src, StepResult(saga=msg.saga, step=msg.step, ok=ok, compensate=msg.compensate))

    def describe(self) -> str:
        """What a reader sees here."""
        return self.record


@dataclass(frozen=True)
class SagaResult:
    """A saga run: its outcome and every state a reader could have seen."""

    outcome: str  # done or compensated
    steps: tuple[str, ...]
    fail_step: int | None
    snapshots: tuple[tuple[int, tuple[str, ...]], ...]  # (time, each service's record)
    sim: Simulation

    @property
    def digest(self) -> str:
        """The trace digest of the run."""
        return self.sim.trace.digest()

    def table(self) -> list[dict[str, Any]]:
        """One row per visible state: time and each step's record (pandas-ready)."""
        return [{"t": t, **dict(zip(self.steps, records, strict=True))}
                for t, records in self.snapshots]


def saga_sim(steps: int = 3, fail_step: int | None = None, *, seed: int = 0,
             network: Network | None = None, trace: bool = True) -> Simulation:
    """A saga of ``steps`` services ``s1…``; step ``fail_step`` (1-based) fails."""
    if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= len(STEP_NAMES):
        raise ConfigError(f"steps must be an int from 1 to {len(STEP_NAMES)}, got {steps!r}")
    if fail_step is not None and (not isinstance(fail_step, int) or not 1 <= fail_step <= steps):
        raise ConfigError(f"fail_step must be None or a step from 1 to {steps}, "
                          f"got {fail_step!r}")

    def factory(node_id: str, peers: tuple[str, ...]) -> Node:
        if node_id == "o1":
            return Orchestrator(node_id, peers)
        index = int(node_id[1:])
        return Service(node_id, peers, STEP_NAMES[index - 1], fails=index == fail_step)

    ids = ("o1", *(f"s{i}" for i in range(1, steps + 1)))
    return Simulation(factory, ids, seed=seed, network=network or DEFAULT_NETWORK, trace=trace)


def run_saga(steps: int = 3, fail_step: int | None = None, *, seed: int = 0) -> SagaResult:
    """Run a saga to its end, recording every state the services show on the way."""
    sim = saga_sim(steps, fail_step, seed=seed)
    services = tuple(f"s{i}" for i in range(1, steps + 1))

    def records() -> tuple[str, ...]:
        return tuple(cast(Service, sim.nodes[s]).record for s in services)

    snapshots = [(sim.now, records())]
    while sim.step():
        if records() != snapshots[-1][1]:
            snapshots.append((sim.now, records()))
    orchestrator = cast(Orchestrator, sim.nodes["o1"])
    return SagaResult(orchestrator.state, tuple(STEP_NAMES[:steps]), fail_step,
                      tuple(snapshots), sim)


check_table(ORCHESTRATOR_TABLE, ORCHESTRATOR_STATES, Orchestrator)
