"""The real backend: the same :class:`~.api.EtcdClient` over a real etcd server.

Theory of operation. We speak etcd's gRPC API through ``python3-etcd3``
(pinned in pyproject.toml): its ``MultiEndpointEtcd3Client`` keeps one
channel per member and fails over to the next member after an error, and we
build etcd's own request messages (``etcdrpc``) so that every field of the
answer (revisions, versions, leases) reaches the caller.

Every call carries a timeout (clients block forever by default). Errors map
to the lab's three outcomes:

* DEADLINE_EXCEEDED → :class:`OutcomeUnknown` (the request may have been
  applied: etcd answers after commit, and the answer may be what was lost);
* UNAVAILABLE → :class:`Unavailable` for a read, :class:`OutcomeUnknown` for
  a write (etcd returns it for "leader changed" or "request timed out" after
  the proposal may already be in the log);
* NOT_FOUND for a lease → :class:`LeaseNotFound`; INVALID_ARGUMENT →
  :class:`InvalidRequest`.

Trap (see the ecosystem notes): after an error the client marks the member
failed; ``time_retry=1.0`` makes it try that member again after a second
instead of five minutes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, cast

from .api import (
    DeleteResult,
    EtcdClient,
    Event,
    KeyValue,
    LeaseGrant,
    PutResult,
    RangeResult,
    TxnResult,
    Watch,
)
from .errors import (
    EtcdClientNotInstalled,
    EtcdError,
    InvalidRequest,
    LeaseNotFound,
    OutcomeUnknown,
    Unavailable,
)
from .ops import (
    Compare,
    Delete,
    Get,
    Put,
    as_txn,
    check_key,
    check_lease_id,
    check_timeout,
    check_ttl,
)

_TARGETS = {"value": "VALUE", "version": "VERSION", "create": "CREATE", "mod": "MOD",
            "lease": "LEASE"}
_RESULTS = {"==": "EQUAL", "!=": "NOT_EQUAL", ">": "GREATER", "<": "LESS"}
_FIELDS = {"value": "value", "version": "version", "create": "create_revision",
           "mod": "mod_revision", "lease": "lease"}


def _import_client() -> tuple[Any, Any, Any]:
    try:
        import etcd3  # python3-etcd3
        import grpc
        from etcd3 import etcdrpc
    except ImportError as error:  # pragma: no cover - depends on the install
        raise EtcdClientNotInstalled(error) from error
    return etcd3, etcdrpc, grpc


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``"http://127.0.0.1:2379"`` or ``"127.0.0.1:2379"`` → (host, port)."""
    text = endpoint.removeprefix("http://") if isinstance(endpoint, str) else ""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidRequest(f"endpoint must look like 'http://127.0.0.1:2379', got {endpoint!r}")
    return host, int(port)


def prefix_end(prefix: bytes) -> bytes:
    """The ``range_end`` that selects every key starting with ``prefix`` (etcd's rule)."""
    end = bytearray(prefix)
    for i in reversed(range(len(end))):
        if end[i] < 0xFF:
            end[i] += 1
            return bytes(end[: i + 1])
    return b"\0"


def _kv(raw: Any) -> KeyValue:
    return KeyValue(key=raw.key.decode(), value=raw.value.decode(),
                    create_revision=raw.create_revision, mod_revision=raw.mod_revision,
                    version=raw.version, lease=raw.lease)


class RealClient(EtcdClient):
    """The etcd API over real etcd members at ``endpoints`` (see the module docstring)."""

    backend = "real"

    def __init__(self, endpoints: str | Iterable[str], *, timeout: float = 2.0) -> None:
        etcd3, self._rpc, self._grpc = _import_client()
        urls = [endpoints] if isinstance(endpoints, str) else list(endpoints)
        if not urls:
            raise InvalidRequest("endpoints must name at least one member, got none")
        self.timeout = check_timeout(timeout)
        self.endpoints = tuple(urls)
        members = [etcd3.Endpoint(*parse_endpoint(u), secure=False, time_retry=1.0)
                   for u in urls]
        self._client = etcd3.MultiEndpointEtcd3Client(endpoints=members, timeout=self.timeout,
                                                      failover=True)

    # ---- the API
    def put(self, key: str, value: str, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        """Set ``key``."""
        resp = self._call("put", "kvstub", "Put", self._put_request(
            Put(key=key, value=value, lease=lease, prev_kv=prev_kv)), write=True, lease=lease)
        return self._put_result(resp, resp.header.revision)

    def get(self, key: str, *, prefix: bool = False, serializable: bool = False) -> RangeResult:
        """Read ``key``; linearizable unless ``serializable``."""
        request = self._range_request(Get(key=key, prefix=prefix))
        request.serializable = serializable
        resp = self._call("range", "kvstub", "Range", request, write=False)
        return self._range_result(resp, resp.header.revision)

    def delete(self, key: str, *, prefix: bool = False, prev_kv: bool = False) -> DeleteResult:
        """Delete ``key`` or a prefix."""
        resp = self._call("delete", "kvstub", "DeleteRange", self._delete_request(
            Delete(key=key, prefix=prefix, prev_kv=prev_kv)), write=True)
        return self._delete_result(resp, resp.header.revision)

    def txn(self, compare: Iterable[Compare] = (), success: Iterable[Put | Get | Delete] = (),
            failure: Iterable[Put | Get | Delete] = ()) -> TxnResult:
        """An atomic if/then/else."""
        txn = as_txn(compare, success, failure)
        request = self._rpc.TxnRequest(
            compare=[self._compare(c) for c in txn.compare],
            success=[self._request_op(op) for op in txn.success],
            failure=[self._request_op(op) for op in txn.failure])
        leases = [op.lease for op in (*txn.success, *txn.failure) if isinstance(op, Put)]
        resp = self._call("txn", "kvstub", "Txn", request, write=True,
                          lease=next((x for x in leases if x), 0))
        revision = resp.header.revision
        return TxnResult(revision=revision, succeeded=resp.succeeded,
                         responses=tuple(self._op_result(r, revision) for r in resp.responses))

    def lease_grant(self, ttl: int) -> LeaseGrant:
        """A lease of ``ttl`` seconds (etcd may raise a tiny TTL to its minimum)."""
        check_ttl(ttl)
        resp = self._call("lease_grant", "leasestub", "LeaseGrant",
                          self._rpc.LeaseGrantRequest(TTL=ttl, ID=0), write=True)
        return LeaseGrant(id=resp.ID, ttl=resp.TTL)

    def lease_keep_alive(self, lease_id: int) -> int:
        """One keep-alive round trip; raises LeaseNotFound if the lease is gone."""
        check_lease_id(lease_id)
        request = self._rpc.LeaseKeepAliveRequest(ID=lease_id)
        stream = self._call("lease_keepalive", "leasestub", "LeaseKeepAlive", iter([request]),
                            write=False)
        try:
            resp = next(iter(stream), None)
        except self._grpc.RpcError as error:
            raise self._translate("lease_keepalive", error, write=False) from None
        if resp is None or resp.TTL <= 0:
            raise LeaseNotFound(lease_id)
        return resp.TTL

    def lease_revoke(self, lease_id: int) -> None:
        """Revoke the lease, deleting its keys."""
        check_lease_id(lease_id)
        self._call("lease_revoke", "leasestub", "LeaseRevoke",
                   self._rpc.LeaseRevokeRequest(ID=lease_id), write=True, lease=lease_id)

    def watch(self, key: str, *, prefix: bool = False,
              start_revision: int | None = None) -> RealWatch:
        """Events on ``key`` (or a prefix), delivered by the client's watch thread."""
        check_key(key)
        if start_revision is not None and (not isinstance(start_revision, int)
                                           or isinstance(start_revision, bool)
                                           or start_revision < 1):
            raise InvalidRequest(f"start_revision must be None or an int >= 1, "
                                 f"got {start_revision!r}")
        return RealWatch(self, key, prefix, start_revision)

    def sleep(self, seconds: float) -> None:
        """Real time passes."""
        if not isinstance(seconds, int | float) or seconds < 0:
            raise InvalidRequest(f"seconds must be a number >= 0, got {seconds!r}")
        time.sleep(seconds)

    def close(self) -> None:
        """Close the channels and the watch thread."""
        self._client.close()

    # ---- gRPC plumbing
    def _call(self, what: str, stub: str, method: str, request: Any, *, write: bool,
              lease: int = 0) -> Any:
        try:
            target = getattr(getattr(self._client, stub), method)
        except Exception as error:  # NoServerAvailableError, or "a failed node"
            raise Unavailable(f"{what} not sent: no etcd member available "
                              f"({error or type(error).__name__})") from None
        try:
            return target(request, self.timeout)
        except self._grpc.RpcError as error:
            raise self._translate(what, error, write, lease) from None

    def _translate(self, what: str, error: Any, write: bool, lease: int = 0) -> EtcdError:
        code, details = error.code(), error.details() or ""
        codes = self._grpc.StatusCode
        if code in (codes.UNAVAILABLE, codes.DEADLINE_EXCEEDED, codes.INTERNAL):
            self._client.endpoint_in_use.fail()  # the next call fails over
            self._client._clear_old_stubs()
        if code == codes.NOT_FOUND and "lease" in details:
            return LeaseNotFound(lease)
        if code == codes.INVALID_ARGUMENT:
            return InvalidRequest(f"etcd rejected {what}: {details}")
        if code == codes.UNAVAILABLE and not write:
            return Unavailable(f"{what} failed: {details}")
        if code in (codes.DEADLINE_EXCEEDED, codes.UNAVAILABLE, codes.UNKNOWN,
                    codes.CANCELLED, codes.INTERNAL):
            return OutcomeUnknown(what, f"{code.name}: {details} (timeout {self.timeout} s)")
        return EtcdError(f"{what} failed: {code.name}: {details}")

    def _put_request(self, op: Put) -> Any:
        return self._rpc.PutRequest(key=op.key.encode(), value=op.value.encode(),
                                    lease=op.lease, prev_kv=op.prev_kv)

    def _range_request(self, op: Get) -> Any:
        key = op.key.encode()
        return self._rpc.RangeRequest(key=key, range_end=prefix_end(key) if op.prefix else b"")

    def _delete_request(self, op: Delete) -> Any:
        key = op.key.encode()
        return self._rpc.DeleteRangeRequest(
            key=key, range_end=prefix_end(key) if op.prefix else b"", prev_kv=op.prev_kv)

    def _request_op(self, op: Put | Get | Delete) -> Any:
        if isinstance(op, Put):
            return self._rpc.RequestOp(request_put=self._put_request(op))
        if isinstance(op, Get):
            return self._rpc.RequestOp(request_range=self._range_request(op))
        return self._rpc.RequestOp(request_delete_range=self._delete_request(op))

    def _compare(self, guard: Compare) -> Any:
        cls = self._rpc.Compare
        # a "value" guard's operand is the str the key must hold; the others are ints
        operand = cast(str, guard.operand).encode() if guard.target == "value" else guard.operand
        return cls(key=guard.key.encode(), target=getattr(cls, _TARGETS[guard.target]),
                   result=getattr(cls, _RESULTS[guard.result]),
                   **{_FIELDS[guard.target]: operand})

    def _op_result(self, resp: Any, revision: int) -> Any:
        kind = resp.WhichOneof("response")
        if kind == "response_put":
            return self._put_result(resp.response_put, revision)
        if kind == "response_range":
            return self._range_result(resp.response_range, revision)
        return self._delete_result(resp.response_delete_range, revision)

    @staticmethod
    def _put_result(resp: Any, revision: int) -> PutResult:
        prev = _kv(resp.prev_kv) if resp.HasField("prev_kv") else None
        return PutResult(revision=revision, prev_kv=prev)

    @staticmethod
    def _range_result(resp: Any, revision: int) -> RangeResult:
        return RangeResult(revision=revision, kvs=tuple(_kv(kv) for kv in resp.kvs))

    @staticmethod
    def _delete_result(resp: Any, revision: int) -> DeleteResult:
        return DeleteResult(revision=revision, deleted=resp.deleted,
                            prev_kvs=tuple(_kv(kv) for kv in resp.prev_kvs))


class RealWatch(Watch):
    """One watch stream of its own, read by a daemon thread into a queue.

    (python3-etcd3's shared ``Watcher`` thread crashes when its stream ends,
    so we drive etcd's ``Watch`` RPC directly: a create request, then events.)
    """

    def __init__(self, client: RealClient, key: str, prefix: bool,
                 start_revision: int | None) -> None:
        rpc = client._rpc
        raw_key = key.encode()
        create = rpc.WatchCreateRequest(key=raw_key, start_revision=start_revision or 0,
                                        range_end=prefix_end(raw_key) if prefix else b"")
        self._requests: queue.Queue[Any] = queue.Queue()
        self._requests.put(rpc.WatchRequest(create_request=create))
        self._queue: queue.Queue[Event] = queue.Queue()
        self._created = threading.Event()
        self.error: BaseException | None = None
        self.canceled = False
        try:
            stub = rpc.WatchStub(client._client.channel)
            self._stream = stub.Watch(self._request_iter())
        except Exception as error:
            raise Unavailable(f"could not start a watch on {key!r}: "
                              f"{error or type(error).__name__}") from None
        self._thread = threading.Thread(target=self._run, name=f"etcd-watch-{key}", daemon=True)
        self._thread.start()
        if not self._created.wait(client.timeout) or self.error is not None:
            self.cancel()
            raise Unavailable(f"watch on {key!r} not created within {client.timeout} s "
                              f"({self.error or 'no answer'})")

    def _request_iter(self) -> Iterator[Any]:
        while True:
            request = self._requests.get()
            if request is None:
                return
            yield request

    def _run(self) -> None:
        try:
            for response in self._stream:
                if response.created:
                    self._created.set()
                for raw in response.events:
                    kind = "delete" if raw.type == 1 else "put"  # mvccpb.Event.DELETE = 1
                    self._queue.put(Event(type=kind, kv=_kv(raw.kv)))
        except Exception as error:  # the stream was cancelled or the member went away
            if not self.canceled:
                self.error = error
        finally:
            self._created.set()

    def get(self, count: int = 1, timeout: float = 1.0) -> list[Event]:
        """Up to ``count`` events, waiting at most ``timeout`` seconds of real time."""
        if not isinstance(count, int) or count < 1:
            raise InvalidRequest(f"count must be an int >= 1, got {count!r}")
        if not isinstance(timeout, int | float) or timeout < 0:
            raise InvalidRequest(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        deadline = time.monotonic() + timeout
        out: list[Event] = []
        while len(out) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                out.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return out

    def cancel(self) -> None:
        """Stop the watch (idempotent)."""
        if not self.canceled:
            self.canceled = True
            self._requests.put(None)
            self._stream.cancel()
