"""Clients: operations sent to nodes and recorded as a history.

``submit(node, f, key, value, client, timeout)`` records an ``invoke`` and
delivers a :class:`ClientRequest` to the node after a network latency. The
node answers with ``ctx.reply``; the answer reaches the client after another
latency and is recorded as ``ok`` or ``fail``. If ``timeout`` ticks pass
first, the client gives up and records ``info``: it does not know whether
the operation took effect (a late answer is then ignored). A request that
reaches a crashed node is lost; clients are not subject to partitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .events import REPLY, REQUEST, TIMEOUT
from .history import ClientRequest
from .trace import TraceRecord

if TYPE_CHECKING:
    from .simulation import Simulation



class ClientsMixin:
    """Client operations for :class:`Simulation` (see the module docstring)."""

    def submit(self: Simulation, node: str, f: str, key: Any = None, value: Any = None,
               client: str = "c1", timeout: int | None = None,
               seq: int | None = None) -> ClientRequest:
        """Send operation ``f`` from ``client`` to ``node``; returns the request.

        ``seq`` is the client's own number for the operation: a client that
        retries after a timeout sends the same ``seq`` again, so a server with
        client sessions can apply it once (default: the request's id).
        """
        self._check_node(node)
        if seq is not None and (not isinstance(seq, int) or seq < 1):
            raise ConfigError(f"seq must be a positive int or None, got {seq!r}")
        if not isinstance(f, str) or not f:
            raise ConfigError(f"operation name f must be a non-empty string, got {f!r}")
        if timeout is not None and (not isinstance(timeout, int) or timeout <= 0):
            raise ConfigError(f"timeout must be a positive int or None, got {timeout!r}")
        self._input("submit", [node, f, key, value, client, timeout, seq])
        self._request_ids += 1
        request = ClientRequest(id=self._request_ids, client=client, f=f, key=key, value=value,
                                seq=seq if seq is not None else self._request_ids)
        self._open_requests[request.id] = request
        self.stats["requests"] += 1
        self.history.add(client, "invoke", f, key, value, self.now, request.id)
        self._record("invoke", client, node, message=request)
        self._push(self.now + self._client_latency(), REQUEST, node, request)
        if timeout is not None:
            self._push(self.now + timeout, TIMEOUT, client, request)
        return request

    def _client_latency(self: Simulation) -> int:
        low, high = self.network.default.latency
        return low if low == high else low + self._cp.below("client", high - low + 1)

    def _arrive_request(self: Simulation, node: str, request: ClientRequest) -> None:
        target = self.nodes[node]
        if target is None:
            self._record("drop", node, request.client, message=request, detail="node down")
            return
        at = len(self.trace)
        step, now = self.steps, self.now
        target.on_request(self._contexts[node], request)
        if self.tracing:
            self.trace.records.insert(at, TraceRecord(
                step, now, "deliver", node, request.client, -1, request, "", target.describe()))

    def _reply(self: Simulation, node: str, request: ClientRequest, value: Any, ok: bool) -> None:
        self._push(self.now + self._client_latency(), REPLY, request.client,
                   (request, value, ok, node))

    def _complete(self: Simulation, client: str,
                  data: tuple[ClientRequest, Any, bool, str]) -> None:
        request, value, ok, node = data
        if self._open_requests.pop(request.id, None) is None:
            self._record("note", client, node, message=request, detail="late reply ignored")
            return
        kind = "ok" if ok else "fail"
        self.history.add(client, kind, request.f, request.key, value, self.now, request.id)
        self._record("complete", client, node, message=request, detail=f"{kind} {value!r}")

    def _time_out(self: Simulation, request: ClientRequest) -> None:
        if self._open_requests.pop(request.id, None) is None:
            return
        self.history.add(request.client, "info", request.f, request.key, None, self.now,
                         request.id)
        self._record("complete", request.client, message=request, detail="info (timed out)")
