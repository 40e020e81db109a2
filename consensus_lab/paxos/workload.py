"""One client workload for any replicated KV store in the simulator, and its message bill.

Used to compare Multi-Paxos with Raft on *the same* workload: the client
operations go through ``sim.submit`` to the node that leads, and every
message the cluster sends between the first request and the last answer
is counted (``sim.stats["sent"]`` and ``sim.sent_by_type``), heartbeats
included — a protocol pays for those too.

Workloads:

* ``"sequential"`` — one client, one command at a time (the next is sent
  when the previous is answered): nothing to batch, the cost of one
  agreement per command.
* ``"burst"`` — every command sent at once, each from its own client: a
  leader that batches (Raft's AppendEntries carries many entries) pays
  less per command than one that runs a phase 2 per slot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..sim import Simulation, SimulationError

WORKLOADS = ("sequential", "burst")


@dataclass(frozen=True, slots=True)
class MessageBill:
    """What one workload cost: commands answered, messages sent, by type."""

    protocol: str
    workload: str
    nodes: int
    commands: int
    answered: int
    messages: int
    sim_time: int
    by_type: dict[str, int] = field(default_factory=dict)

    @property
    def per_command(self) -> float:
        """Messages sent per answered command."""
        return self.messages / self.answered if self.answered else float("nan")

    def row(self) -> dict[str, object]:
        """A flat dict for a DataFrame row (types as ``msgs:<Type>`` columns)."""
        base = {"protocol": self.protocol, "workload": self.workload, "nodes": self.nodes,
                "commands": self.commands, "answered": self.answered,
                "messages": self.messages, "per_command": round(self.per_command, 2),
                "sim_time": self.sim_time}
        base.update({f"msgs:{k}": v for k, v in sorted(self.by_type.items())})
        return base


def _check(workload: str, commands: int) -> None:
    if workload not in WORKLOADS:
        raise SimulationError(f"unknown workload {workload!r}; choose one of: "
                              f"{', '.join(WORKLOADS)}")
    if not isinstance(commands, int) or commands < 1:
        raise SimulationError(f"commands must be an int >= 1, got {commands!r}")


def run_workload(sim: Simulation, target: str, commands: int, workload: str = "sequential",
                 *, protocol: str = "?", within: int = 60_000) -> MessageBill:
    """Send ``commands`` puts to ``target`` as ``workload`` says; count the messages."""
    _check(workload, commands)
    sent0, by_type0, start = sim.stats["sent"], dict(sim.sent_by_type), sim.now
    first_op = len(sim.history)
    deadline = sim.now + within
    if workload == "sequential":
        for i in range(commands):
            sim.submit(target, "put", f"k{i % 5}", str(i), client="c1", timeout=within)
            _wait(sim, first_op + 2 * (i + 1), deadline)
    else:
        for i in range(commands):
            sim.submit(target, "put", f"k{i % 5}", str(i), client=f"c{i + 1}", timeout=within)
        _wait(sim, first_op + 2 * commands, deadline)
    answered = sum(1 for op in sim.history.ops[first_op:] if op.type == "ok")
    by_type = {k: v - by_type0.get(k, 0) for k, v in sim.sent_by_type.items()
               if v - by_type0.get(k, 0)}
    return MessageBill(protocol, workload, len(sim.node_ids), commands, answered,
                       sim.stats["sent"] - sent0, sim.now - start, by_type)


def _wait(sim: Simulation, history_length: int, deadline: int) -> None:
    """Run until the history has ``history_length`` rows (every request answered)."""
    sim.run(until=lambda s: len(s.history.ops) >= history_length or s.now >= deadline)
