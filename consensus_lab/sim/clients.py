"""Clients: operations sent to nodes and recorded as a history.

``submit(node, f, key, value, client, timeout)`` records an ``invoke`` and
delivers a :class:`ClientRequest` to the node after a network latency. The
node answers with a ``Reply`` effect; the answer reaches the client after another
latency and is recorded as ``ok`` or ``fail``. If ``timeout`` ticks pass
first, the client gives up and records ``info``: it does not know whether
the operation took effect (a late answer is then ignored). A request that
reaches a crashed node is lost; clients are not subject to partitions.

:class:`Clients` is the part of the :class:`~.simulation.Simulation` that
does this. It owns the requests still waiting for an answer and the request
counter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .events import REPLY, REQUEST, TIMEOUT
from .history import ClientRequest
from .step import Request
from .trace import TraceRecord

if TYPE_CHECKING:
    from .host import Host


class Clients:
    """Client operations of :class:`~.simulation.Simulation` (see the module docstring)."""

    __slots__ = ("_sim", "open_requests", "request_ids")

    def __init__(self, sim: Host) -> None:
        self._sim = sim
        self.open_requests: dict[int, ClientRequest] = {}  # neither answered nor timed out
        self.request_ids = 0  # the last request id handed out

    def submit(self, node: str, f: str, key: Any = None, value: Any = None,
               client: str = "c1", timeout: int | None = None,
               seq: int | None = None) -> ClientRequest:
        """See :meth:`Simulation.submit <.simulation.Simulation.submit>`."""
        sim = self._sim
        sim._check_node(node)
        if seq is not None and (not isinstance(seq, int) or seq < 1):
            raise ConfigError(f"seq must be a positive int or None, got {seq!r}")
        if not isinstance(f, str) or not f:
            raise ConfigError(f"operation name f must be a non-empty string, got {f!r}")
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            raise ConfigError(f"timeout must be a positive int or None, got {timeout!r}")
        sim._input("submit", [node, f, key, value, client, timeout, seq])
        self.request_ids += 1
        request = ClientRequest(id=self.request_ids, client=client, f=f, key=key, value=value,
                                seq=seq if seq is not None else self.request_ids)
        self.open_requests[request.id] = request
        sim.stats["requests"] += 1
        sim.history.add(client, "invoke", f, key, value, sim.now, request.id)
        sim._record("invoke", client, node, message=request)
        sim._push(sim.now + self.latency(), REQUEST, node, request)
        if timeout is not None:
            sim._push(sim.now + timeout, TIMEOUT, client, request)
        return request

    def latency(self) -> int:
        """A client <-> node latency draw (the network's default range)."""
        sim = self._sim
        low, high = sim.network.default.latency
        return low if low == high else low + sim._cp.below("client", high - low + 1)

    def arrive(self, node: str, request: ClientRequest) -> None:
        """A request reaches ``node``: its handler runs (or it is lost if the node is down)."""
        sim = self._sim
        target = sim.nodes[node]
        if target is None:
            sim._record("drop", node, request.client, message=request, detail="node down")
            return
        at = len(sim.trace)
        step, now = sim.steps, sim.now
        sim._take(node, target, Request(request, sim._clocks[node].local(now)))
        if sim.tracing:
            sim.trace.records.insert(at, TraceRecord(
                step, now, "deliver", node, request.client, -1, request, "", target.describe()))

    def reply(self, node: str, request: ClientRequest, value: Any, ok: bool) -> None:
        """``node`` answers ``request``; the answer travels back to its client."""
        sim = self._sim
        sim._push(sim.now + self.latency(), REPLY, request.client, (request, value, ok, node))

    def complete(self, client: str, data: tuple[ClientRequest, Any, bool, str]) -> None:
        """An answer reaches ``client``: recorded as ok or fail, unless it came too late."""
        sim = self._sim
        request, value, ok, node = data
        if self.open_requests.pop(request.id, None) is None:
            sim._record("note", client, node, message=request, detail="late reply ignored")
            return
        kind = "ok" if ok else "fail"
        sim.history.add(client, kind, request.f, request.key, value, sim.now, request.id)
        sim._record("complete", client, node, message=request, detail=f"{kind} {value!r}")

    def time_out(self, request: ClientRequest) -> None:
        """The client gives up on ``request``: recorded as info (outcome unknown)."""
        sim = self._sim
        if self.open_requests.pop(request.id, None) is None:
            return
        sim.history.add(request.client, "info", request.f, request.key, None, sim.now,
                        request.id)
        sim._record("complete", request.client, message=request, detail="info (timed out)")
