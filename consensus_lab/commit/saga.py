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

The orchestrator is a table protocol (:class:`OrchestratorProtocol`, a
pure step function over :class:`OrchestratorState`) driven by
:data:`ORCHESTRATOR_TABLE`; it persists its progress (the saga log)
before each request, so a restarted orchestrator carries on where it was.
A service (:class:`ServiceProtocol`) persists its record before it
answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, cast

from ..sim import ConfigError, Network, Node, Simulation
from ..sim.step import Deliver, Effects, Input, Persist, Request, Send, StepNode, StepProtocol
from .machine import Table, TableNode, TableProtocol, check_table, refuse
from .messages import StepRequest, StepResult

RULE_SAGA_LOG = ("Sagas: the orchestrator logs its progress before each request, so a restart "
                 "carries on (Garcia-Molina & Salem 1987)")
RULE_FORWARD = "Sagas: run the local transactions T1, T2, ... in order (Garcia-Molina & Salem 1987)"
RULE_UNDO = ("Sagas: after Tk fails, run the compensations C(k-1), ..., C1 in reverse "
             "(Garcia-Molina & Salem 1987)")
RULE_LOCAL_COMMIT = ("Sagas: each step is a local transaction its service commits at once "
                     "(Garcia-Molina & Salem 1987)")
RULE_RESULT = "Sagas: the service reports the step's (or the compensation's) result"

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


@dataclass(frozen=True, slots=True)
class OrchestratorState:
    """The orchestrator's state. Durable: ``progress`` = (phase, step), the saga log."""

    services: tuple[str, ...]  # constant: s1..sn, step i runs on services[i-1]
    phase: str = "init"
    step: int = 1  # the step being run (or, compensating, being undone)

    def __str__(self) -> str:
        return self.phase


OStep = tuple[OrchestratorState, Effects]


class OrchestratorProtocol(TableProtocol[OrchestratorState]):
    """Runs steps 1..n on services ``s1..sn`` in order; compensates in reverse on failure."""

    TABLE = ORCHESTRATOR_TABLE

    def initial(self, node_id: str, peers: tuple[str, ...]) -> OrchestratorState:
        """The state before the saga log is read."""
        return OrchestratorState(tuple(sorted(p for p in peers if p.startswith("s"))))

    def start(self, node_id: str, peers: tuple[str, ...], stored: Mapping[str, Any]) -> OStep:
        """Begin, or carry on from the saga log."""
        state = self.initial(node_id, peers)
        logged = stored.get("progress")
        if logged is None:
            return self.fire(state, "begin")
        phase, step = logged
        return self.fire(replace(state, step=step), f"recover: {phase}")

    def step(self, state: OrchestratorState, event: Input) -> OStep:
        """A step's (or a compensation's) result."""
        match event:
            case Deliver(src, StepResult() as msg) if msg.step == state.step:
                return self.fire(state, self._event(state, msg), src, msg)
            case Request() as request:
                return state, refuse(request, "a saga orchestrator")
        return state, ()

    @staticmethod
    def _event(state: OrchestratorState, msg: StepResult) -> str:
        if msg.compensate:
            return "last undone" if state.step == 1 else "undone, more to undo"
        if msg.ok:
            return ("last step done" if state.step == len(state.services)
                    else "step done, more to do")
        return "first step failed" if state.step == 1 else "step failed, undo the earlier ones"

    def log_progress(self, st: OrchestratorState, src: str = "", msg: Any = None) -> OStep:
        """The saga log: state and step, before the next request leaves."""
        return st, (Persist("progress", (st.phase, st.step), RULE_SAGA_LOG),)

    def next_step(self, st: OrchestratorState, src: str, msg: Any) -> OStep:
        """Move on to the next forward step."""
        return replace(st, step=st.step + 1), ()

    def back_one(self, st: OrchestratorState, src: str, msg: Any) -> OStep:
        """Move back to the previous step (the next one to compensate)."""
        return replace(st, step=st.step - 1), ()

    def request_step(self, st: OrchestratorState, src: str, msg: Any) -> OStep:
        """Log, then ask the step's service to run it."""
        _, logged = self.log_progress(st)
        return st, (*logged, Send(st.services[st.step - 1], StepRequest(saga=SAGA, step=st.step),
                                  RULE_FORWARD))

    def request_undo(self, st: OrchestratorState, src: str, msg: Any) -> OStep:
        """Log, then ask the step's service to run its compensation."""
        _, logged = self.log_progress(st)
        return st, (*logged, Send(st.services[st.step - 1],
                                  StepRequest(saga=SAGA, step=st.step, compensate=True),
                                  RULE_UNDO))

    def describe(self, state: OrchestratorState) -> str:
        """``running step 2``."""
        return f"{state.phase} step {state.step}"


class Orchestrator(TableNode[OrchestratorState]):
    """The saga orchestrator as a simulator node."""

    def __init__(self, node_id: str, peers: tuple[str, ...]) -> None:
        super().__init__(node_id, peers, OrchestratorProtocol())

    @property
    def services(self) -> tuple[str, ...]:
        """The services, sorted."""
        return tuple(sorted(p for p in self.peers if p.startswith("s")))

    @property
    def step(self) -> int:
        """The step being run (or, compensating, being undone)."""
        return 1 if self.state is None else self.state.step


@dataclass(frozen=True, slots=True)
class ServiceState:
    """What a reader of the service sees. Durable: ``record``."""

    record: str = "-"

    def __str__(self) -> str:
        return self.record


class ServiceProtocol(StepProtocol[ServiceState]):
    """One service: runs its local transaction (or fails it) and its compensation.

    ``record`` is what any reader of this service sees: ``-`` before,
    ``done`` once its step committed, ``undone`` after the compensation,
    ``failed`` if the step failed (nothing was changed).
    """

    def __init__(self, name: str, fails: bool) -> None:
        self.name, self.fails = name, fails

    def start(self, node_id: str, peers: tuple[str, ...],
              stored: Mapping[str, Any]) -> tuple[ServiceState, Effects]:
        """Local transactions commit at once: the record is durable."""
        return ServiceState(stored.get("record", "-")), ()

    def step(self, state: ServiceState, event: Input) -> tuple[ServiceState, Effects]:
        """Run the step or its compensation (each idempotent), and answer."""
        match event:
            case Deliver(src, StepRequest() as msg):
                record, ok = self._run(state.record, msg)
                return ServiceState(record), (
                    Persist("record", record, RULE_LOCAL_COMMIT),
                    Send(src, StepResult(saga=msg.saga, step=msg.step, ok=ok,
                                         compensate=msg.compensate), RULE_RESULT))
            case Request() as request:
                return state, refuse(request, "a saga service")
        return state, ()

    def _run(self, record: str, msg: StepRequest) -> tuple[str, bool]:
        if msg.compensate:
            return ("undone" if record == "done" else record), True
        if self.fails:
            return "failed", False
        return ("done" if record == "-" else record), True

    def describe(self, state: ServiceState) -> str:
        """What a reader sees here."""
        return state.record


class Service(StepNode[ServiceState]):
    """One service as a simulator node; ``record`` is what a reader sees."""

    protocol: ServiceProtocol

    def describe(self) -> str:
        """What a reader sees here (``-`` before the start)."""
        return self.record

    def __init__(self, node_id: str, peers: tuple[str, ...], name: str, fails: bool) -> None:
        super().__init__(node_id, peers, ServiceProtocol(name, fails))

    @property
    def name(self) -> str:
        """The step's name."""
        return self.protocol.name

    @property
    def fails(self) -> bool:
        """Whether its step fails."""
        return self.protocol.fails

    @property
    def record(self) -> str:
        """What any reader of this service sees."""
        return "-" if self.state is None else self.state.record


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
    return SagaResult(orchestrator.phase, tuple(STEP_NAMES[:steps]), fail_step,
                      tuple(snapshots), sim)


check_table(ORCHESTRATOR_TABLE, ORCHESTRATOR_STATES, OrchestratorProtocol)
