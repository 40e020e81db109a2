"""Messages and timers: how nodes' effects become scheduled events.

``_send`` applies the :class:`Network` value to one message (a cut link or a
drop loses it; otherwise it is scheduled after a latency draw, FIFO per link
unless picked for reordering, and maybe duplicated); ``_deliver`` hands it to
the receiver unless the receiver is down or the link is cut by then. Timers
are named per node: setting a name again replaces the old timer, and a stale
heap entry is skipped when popped.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, UnknownNodeError
from .events import _NORMAL, DELIVER, TIMER, _new_record
from .trace import TraceRecord

if TYPE_CHECKING:
    from .simulation import Simulation


class TransportMixin:
    """The network and timer half of :class:`Simulation`."""

    def _send(self: Simulation, src: str, dst: str, msg: Any) -> None:
        if dst not in self._clocks:
            raise UnknownNodeError(
                f"{src} sent {msg} to unknown node {dst!r}; nodes: {', '.join(self.node_ids)}"
            )
        self._msg_ids += 1
        msg_id = self._msg_ids
        self.stats["sent"] += 1
        name = type(msg).__name__
        self.sent_by_type[name] = self.sent_by_type.get(name, 0) + 1
        if self.tracing:
            self.trace.records.append(
                _new_record(TraceRecord, (self.steps, self.now, "send", src, dst, msg_id, msg,
                                          "", ""))
            )
        net = self.network
        faults = net.links.get((src, dst), net.default) if net.links else net.default
        if (src, dst) in net.blocked:
            self._drop(dst, src, msg_id, msg, "partitioned")
            return
        cp = self._cp
        if faults.drop and cp.random("net") < faults.drop:
            self._drop(dst, src, msg_id, msg, "lost")
            return
        self._schedule_delivery(src, dst, msg, msg_id, faults)
        if faults.duplicate and cp.random("net") < faults.duplicate:
            self.stats["duplicated"] += 1
            self._record("duplicate", src, dst, msg_id, msg)
            self._schedule_delivery(src, dst, msg, msg_id, faults)

    def _schedule_delivery(self: Simulation, src: str, dst: str, msg: Any, msg_id: int,
                           faults: Any) -> None:
        low, high = faults.latency
        at = self.now + (low if low == high else low + self._cp.below("net", high - low + 1))
        if faults.reorder and self._cp.random("net") < faults.reorder:
            at += self._cp.below("net", faults.reorder_delay + 1)
        else:
            link = (src, dst)
            last = self._fifo.get(link, 0)
            if at < last:
                at = last
            self._fifo[link] = at
        self._seq += 1
        heapq.heappush(self._heap, (at, _NORMAL, self._seq, DELIVER, dst, (src, msg, msg_id)))

    def _drop(self: Simulation, node: str, src: str, msg_id: int, msg: Any, why: str) -> None:
        self.stats["dropped"] += 1
        if self.tracing:
            self._record("drop", node, src, msg_id, msg, why)

    def _deliver(self: Simulation, node: str, data: tuple[str, Any, int]) -> None:
        src, msg, msg_id = data
        target = self.nodes[node]
        if target is None:
            self._drop(node, src, msg_id, msg, "node down")
        elif (src, node) in self.network.blocked:
            self._drop(node, src, msg_id, msg, "partitioned")
        else:
            self.stats["delivered"] += 1
            if self.tracing:
                records = self.trace.records
                at, step, now = len(records), self.steps, self.now
                target.on_message(self._contexts[node], src, msg)
                records.insert(at, _new_record(
                    TraceRecord, (step, now, "deliver", node, src, msg_id, msg, "",
                                  target.describe())))
            else:
                target.on_message(self._contexts[node], src, msg)

    # ---------------------------------------------------------- timers
    def _set_timer(self: Simulation, node: str, name: str, after: int) -> None:
        if not isinstance(after, int) or after < 0:
            raise ConfigError(f"timer {name!r} at {node}: delay must be an int >= 0, got {after!r}")
        at = self.now + self._clocks[node].true_delay(after)
        seq = self._push(at, TIMER, node, (name, self._incarnations[node]))
        self._timers[node][name] = seq

    def _cancel_timer(self: Simulation, node: str, name: str) -> None:
        self._timers[node].pop(name, None)

    def _fire_timer(self: Simulation, node: str, name: str) -> None:
        del self._timers[node][name]
        self.stats["timers"] += 1
        target = self.nodes[node]
        assert target is not None  # stale timers of crashed nodes never get here
        if self.tracing:
            records = self.trace.records
            at, step, now = len(records), self.steps, self.now
            target.on_timer(self._contexts[node], name)
            records.insert(at, _new_record(
                TraceRecord, (step, now, "timer", node, "", -1, None, name, target.describe())))
        else:
            target.on_timer(self._contexts[node], name)

    # ------------------------------------------------------------ helpers
    def _record(self: Simulation, kind: str, node: str, peer: str = "", msg_id: int = -1,
                message: Any = None, detail: str = "", state: str | None = None) -> None:
        if not self.tracing:
            return
        if state is None and kind in ("start", "note") and node in self.nodes:
            target = self.nodes[node]
            state = target.describe() if target is not None else ""
        self.trace.append(TraceRecord(self.steps, self.now, kind, node, peer, msg_id,
                                      message, detail, state or ""))

    def _note(self: Simulation, node: str, text: str) -> None:
        self._record("note", node, detail=text)
