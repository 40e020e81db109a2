"""Messages and timers: how nodes' effects become scheduled events.

``send`` applies the :class:`Network` value to one message (a cut link or a
drop loses it; otherwise it is scheduled after a latency draw, FIFO per link
unless picked for reordering, and maybe duplicated); ``deliver`` hands it to
the receiver unless the receiver is down or the link is cut by then. Timers
are named per node: setting a name again replaces the old timer, and a stale
heap entry is skipped when popped.

:class:`Transport` is the part of the :class:`~.simulation.Simulation` that
does this. It owns what only it uses (the FIFO bookkeeping per link and the
message counter) and reaches the rest of the run through
:class:`TransportHost`, the interface the simulation offers it.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ConfigError, UnknownNodeError
from .events import _NORMAL, DELIVER, TIMER, Entry, _new_record
from .step import Deliver, Fire
from .trace import TraceRecord

if TYPE_CHECKING:
    from .choices import ChoicePoint
    from .clock import NodeClock
    from .network import LinkFaults, Network
    from .node import Node
    from .trace import Trace


class TransportHost(Protocol):
    """What :class:`Transport` needs from the simulation it serves."""

    node_ids: tuple[str, ...]
    now: int
    steps: int
    tracing: bool
    trace: Trace
    stats: dict[str, int]
    sent_by_type: dict[str, int]
    network: Network
    nodes: dict[str, Node | None]
    _cp: ChoicePoint
    _heap: list[Entry]
    _seq: int
    _clocks: dict[str, NodeClock]
    _incarnations: dict[str, int]
    _timers: dict[str, dict[str, int]]

    def _push(self, time: int, kind: int, node: str, data: Any, prio: int = ...) -> int: ...

    def _take(self, node_id: str, node: Node, event: Any) -> None: ...

    def _record(self, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None) -> None: ...


class Transport:
    """The network and timer part of :class:`~.simulation.Simulation`."""

    __slots__ = ("_sim", "fifo", "msg_ids")

    def __init__(self, sim: TransportHost, fifo: dict[tuple[str, str], int] | None = None,
                 msg_ids: int = 0) -> None:
        self._sim = sim
        self.fifo: dict[tuple[str, str], int] = fifo if fifo is not None else {}
        self.msg_ids = msg_ids  # the last message id handed out

    def send(self, src: str, dst: str, msg: Any, rule: str = "") -> None:
        """Put ``msg`` from ``src`` on the link to ``dst`` (or lose it there)."""
        sim = self._sim
        if dst not in sim._clocks:
            raise UnknownNodeError(
                f"{src} sent {msg} to unknown node {dst!r}; nodes: {', '.join(sim.node_ids)}"
            )
        self.msg_ids += 1
        msg_id = self.msg_ids
        sim.stats["sent"] += 1
        name = type(msg).__name__
        sim.sent_by_type[name] = sim.sent_by_type.get(name, 0) + 1
        if sim.tracing:
            sim.trace.records.append(
                _new_record(TraceRecord, (sim.steps, sim.now, "send", src, dst, msg_id, msg,
                                          "", "", rule))
            )
        net = sim.network
        faults = net.links.get((src, dst), net.default) if net.links else net.default
        if net.blocked and (src, dst) in net.blocked:
            self.drop(dst, src, msg_id, msg, "partitioned")
            return
        cp = sim._cp
        if faults.drop and cp.random("net") < faults.drop:
            self.drop(dst, src, msg_id, msg, "lost")
            return
        self.schedule_delivery(src, dst, msg, msg_id, faults)
        if faults.duplicate and cp.random("net") < faults.duplicate:
            sim.stats["duplicated"] += 1
            sim._record("duplicate", src, dst, msg_id, msg)
            self.schedule_delivery(src, dst, msg, msg_id, faults)

    def schedule_delivery(self, src: str, dst: str, msg: Any, msg_id: int,
                          faults: LinkFaults) -> None:
        """Schedule one arrival of ``msg`` at ``dst`` after a latency draw."""
        sim = self._sim
        low, high = faults.latency
        at = sim.now + (low if low == high else low + sim._cp.below("net", high - low + 1))
        if faults.reorder and sim._cp.random("net") < faults.reorder:
            at += sim._cp.below("net", faults.reorder_delay + 1)
        else:
            link = (src, dst)
            last = self.fifo.get(link, 0)
            if at < last:
                at = last
            self.fifo[link] = at
        sim._seq += 1
        heapq.heappush(sim._heap, (at, _NORMAL, sim._seq, DELIVER, dst, (src, msg, msg_id)))

    def drop(self, node: str, src: str, msg_id: int, msg: Any, why: str) -> None:
        """Count (and trace) the loss of message ``msg_id`` on its way to ``node``."""
        sim = self._sim
        sim.stats["dropped"] += 1
        if sim.tracing:
            sim._record("drop", node, src, msg_id, msg, why)

    def deliver(self, node: str, data: tuple[str, Any, int]) -> None:
        """Hand an arriving message to ``node`` unless it is down or the link is cut."""
        sim = self._sim
        src, msg, msg_id = data
        target = sim.nodes[node]
        if target is None:
            self.drop(node, src, msg_id, msg, "node down")
        elif sim.network.blocked and (src, node) in sim.network.blocked:
            self.drop(node, src, msg_id, msg, "partitioned")
        else:
            sim.stats["delivered"] += 1
            if sim.tracing:
                records = sim.trace.records
                at, step, now = len(records), sim.steps, sim.now
                sim._take(node, target, Deliver(src, msg, sim._clocks[node].local(now)))
                records.insert(at, _new_record(
                    TraceRecord, (step, now, "deliver", node, src, msg_id, msg, "",
                                  target.describe(), "")))
            else:
                sim._take(node, target, Deliver(src, msg, sim._clocks[node].local(sim.now)))

    # ---------------------------------------------------------- timers
    def set_timer(self, node: str, name: str, after: int) -> None:
        """Set (or replace) ``node``'s timer ``name``, ``after`` local ticks from now."""
        sim = self._sim
        if not isinstance(after, int) or after < 0:
            raise ConfigError(f"timer {name!r} at {node}: delay must be an int >= 0, got {after!r}")
        at = sim.now + sim._clocks[node].true_delay(after)
        seq = sim._push(at, TIMER, node, (name, sim._incarnations[node]))
        sim._timers[node][name] = seq

    def cancel_timer(self, node: str, name: str) -> None:
        """Forget ``node``'s timer ``name`` (its heap entry goes stale)."""
        self._sim._timers[node].pop(name, None)

    def fire_timer(self, node: str, name: str) -> None:
        """Run ``node``'s handler for its live timer ``name``."""
        sim = self._sim
        del sim._timers[node][name]
        sim.stats["timers"] += 1
        target = sim.nodes[node]
        assert target is not None  # stale timers of crashed nodes never get here
        if sim.tracing:
            records = sim.trace.records
            at, step, now = len(records), sim.steps, sim.now
            sim._take(node, target, Fire(name, sim._clocks[node].local(now)))
            records.insert(at, _new_record(
                TraceRecord, (step, now, "timer", node, "", -1, None, name, target.describe(),
                              "")))
        else:
            sim._take(node, target, Fire(name, sim._clocks[node].local(sim.now)))
