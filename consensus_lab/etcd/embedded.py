"""The embedded backend: an etcd cluster on the lab's Raft, inside the simulator.

Theory of operation. :class:`EmbeddedCluster` owns a :class:`Simulation` of
:class:`~.node.EtcdNode` members. An :class:`EmbeddedClient` is a *synchronous
facade*: each call submits one request to a member and then drives the
simulation, event by event, until the answer arrives or the client's timeout
passes in simulated time. Nothing waits in real time, and the same seed (and
the same calls) give the same run.

Outcomes follow Jepsen's three answers:

* ``ok`` → the call returns its result;
* ``fail`` (the member knew no leader, or the request was certainly not
  proposed) → the client retries, on the next member unless pinned to one,
  until the timeout; then :class:`Unavailable`;
* no answer before the timeout → :class:`OutcomeUnknown`, never a failure:
  the write may still be committed later.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, cast

from ..raft.cluster import connected, leaders
from ..raft.config import RaftConfig
from ..raft.invariants import RaftInvariants
from ..sim import ConfigError, Network, Simulation
from .api import (
    DeleteResult,
    EtcdClient,
    Event,
    LeaseGrant,
    PutResult,
    RangeResult,
    TxnResult,
    Watch,
)
from .errors import InvalidRequest, LeaseNotFound, OutcomeUnknown, Unavailable
from .mvcc import Failure
from .node import TICKS_PER_SECOND, EtcdNode
from .ops import (
    Compare,
    Delete,
    Get,
    LeaseGrantRequest,
    LeaseRevokeRequest,
    Put,
    as_txn,
    check_key,
    check_lease_id,
    check_timeout,
)

#: The simulated network: a few ms per message, no faults unless asked for.
DEFAULT_NETWORK = Network(latency=(2, 10))
#: Wait between retries after a definite failure (ticks).
RETRY_AFTER = 50


def to_ticks(seconds: float, what: str = "duration") -> int:
    """Seconds → simulator ticks (ms); rejects negative or non-numbers."""
    if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
        raise InvalidRequest(f"{what} must be a number of seconds >= 0, got {seconds!r}")
    return round(seconds * TICKS_PER_SECOND)


class EmbeddedCluster:
    """``n`` simulated etcd members (``n1``…) replicating an MVCC store with Raft."""

    def __init__(self, n: int = 3, *, seed: int = 0, network: Network | None = None,
                 config: RaftConfig | None = None, invariants: bool = True,
                 trace: bool = False) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 9:
            raise ConfigError(f"an embedded cluster has 1 to 9 members, got n={n!r}")
        factory = partial(EtcdNode, config=config or RaftConfig())
        self.sim = Simulation(factory, n, seed=seed, network=network or DEFAULT_NETWORK,
                              trace=trace)
        if invariants:
            RaftInvariants().install(self.sim)
        self._client_count = 0
        self._client_names: set[str] = set()

    @property
    def members(self) -> tuple[str, ...]:
        """Member ids, ``n1``…"""
        return self.sim.node_ids

    @property
    def now(self) -> float:
        """Simulated time in seconds."""
        return self.sim.now / TICKS_PER_SECOND

    def client(self, name: str | None = None, *, member: str | None = None,
               timeout: float = 2.0) -> EmbeddedClient:
        """A client; pinned to ``member`` if given, else it uses any live member.

        Each client has its own name: the name keys its session (request
        numbers) on the cluster, so two clients with one name would answer
        each other's requests. A name in use raises InvalidRequest.
        """
        if member is not None:
            self._check_member(member)
        if name is None:
            name = self._fresh_name()
        elif not isinstance(name, str) or not name:
            raise InvalidRequest(f"client name must be a non-empty str, got {name!r}")
        elif name in self._client_names:
            raise InvalidRequest(f"client name {name!r} is already in use on this cluster; "
                                 f"pick another (in use: {', '.join(sorted(self._client_names))})")
        self._client_names.add(name)
        return EmbeddedClient(self, name, member=member, timeout=timeout)

    def _fresh_name(self) -> str:
        """The next ``cN`` not taken by a named client."""
        while True:
            self._client_count += 1
            name = f"c{self._client_count}"
            if name not in self._client_names:
                return name

    def node(self, member: str) -> EtcdNode | None:
        """The live member (None while it is crashed)."""
        self._check_member(member)
        return cast("EtcdNode | None", self.sim.nodes[member])  # every member is an EtcdNode

    def leader(self) -> str | None:
        """The leader of the highest term among members a majority can reach, if any."""
        reachable = connected(self.sim)
        found = [n for n in leaders(self.sim) if n.node_id in reachable]
        return found[0].node_id if found else None

    def wait_for_leader(self, timeout: float = 5.0) -> str:
        """Run the simulation until a reachable leader exists; its id."""
        deadline = self.sim.now + to_ticks(timeout, "timeout")
        while True:
            found = self.leader()
            if found is not None:
                return found
            if self.sim.now >= deadline:
                raise Unavailable(f"no leader elected within {timeout} s (seed {self.sim.seed})")
            self.sim.run(until=min(deadline, self.sim.now + 10))

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` of simulated time pass (heartbeats, elections, lease expiry)."""
        self.sim.run(until=self.sim.now + to_ticks(seconds))

    def status(self, member: str) -> dict[str, Any]:
        """A member's role, leader, term and revision (``etcdctl endpoint status``)."""
        node = self.node(member)
        if node is None:
            return {"member": member, "role": "crashed"}
        return node.status()

    # ---- nemesis, by member id (the simulator's own checks name bad arguments)
    def kill(self, member: str) -> None:
        """Crash ``member`` (like kill -9: it keeps only what it persisted)."""
        self.sim.crash(member)

    def restart(self, member: str) -> None:
        """Restart a killed member from its persisted Raft state."""
        self.sim.restart(member)

    def pause(self, member: str) -> None:
        """Freeze ``member`` (SIGSTOP, a GC pause): its events wait until resume."""
        self.sim.pause(member)

    def resume(self, member: str) -> None:
        """Unfreeze ``member`` (SIGCONT)."""
        self.sim.resume(member)

    def partition(self, *groups: Iterable[str]) -> None:
        """Cut the links between ``groups`` of members."""
        self.sim.partition(*groups)

    def heal(self) -> None:
        """Remove every partition."""
        self.sim.heal()

    def _check_member(self, member: str) -> None:
        if member not in self.sim.node_ids:
            raise ConfigError(f"unknown member {member!r}; members: {', '.join(self.members)}")


class EmbeddedClient(EtcdClient):
    """The etcd API over an :class:`EmbeddedCluster` (see the module docstring)."""

    backend = "embedded"

    def __init__(self, cluster: EmbeddedCluster, name: str, *, member: str | None = None,
                 timeout: float = 2.0) -> None:
        self.cluster, self.name, self.pinned = cluster, name, member
        self.timeout = check_timeout(timeout)
        self.member = member or cluster.members[0]
        self._seq = 0

    # ---- the API
    def put(self, key: str, value: str, *, lease: int = 0, prev_kv: bool = False) -> PutResult:
        """Set ``key`` (see :meth:`EtcdClient.put`)."""
        return self._call("put", Put(key=key, value=value, lease=lease, prev_kv=prev_kv))

    def get(self, key: str, *, prefix: bool = False, serializable: bool = False) -> RangeResult:
        """Read ``key`` through the log, or from the member's state if ``serializable``."""
        op = Get(key=key, prefix=prefix)
        return self._call("range_serializable" if serializable else "range", op,
                          retry=not serializable)

    def delete(self, key: str, *, prefix: bool = False, prev_kv: bool = False) -> DeleteResult:
        """Delete ``key`` or a prefix."""
        return self._call("delete", Delete(key=key, prefix=prefix, prev_kv=prev_kv))

    def txn(self, compare: Iterable[Compare] = (), success: Iterable[Put | Get | Delete] = (),
            failure: Iterable[Put | Get | Delete] = ()) -> TxnResult:
        """An atomic if/then/else."""
        return self._call("txn", as_txn(compare, success, failure))

    def lease_grant(self, ttl: int) -> LeaseGrant:
        """A lease of ``ttl`` seconds of simulated time."""
        return self._call("lease_grant", LeaseGrantRequest(ttl=ttl))

    def lease_keep_alive(self, lease_id: int) -> int:
        """Renew the lease at the leader (not through the log)."""
        check_lease_id(lease_id)
        return self._call("lease_keepalive", lease_id)

    def lease_revoke(self, lease_id: int) -> None:
        """Revoke the lease through the log, deleting its keys."""
        self._call("lease_revoke", LeaseRevokeRequest(id=lease_id))

    def watch(self, key: str, *, prefix: bool = False,
              start_revision: int | None = None) -> EmbeddedWatch:
        """Events on ``key`` as the client's member applies them."""
        check_key(key)
        if start_revision is not None and (not isinstance(start_revision, int)
                                           or isinstance(start_revision, bool)
                                           or start_revision < 1):
            raise InvalidRequest(f"start_revision must be None or an int >= 1, "
                                 f"got {start_revision!r}")
        return EmbeddedWatch(self.cluster, self.member, key, prefix, start_revision)

    def now(self) -> float:
        """Simulated time in seconds."""
        return self.cluster.now

    def sleep(self, seconds: float) -> None:
        """Let simulated time pass (the rest of the cluster keeps running)."""
        self.cluster.advance(seconds)

    # ---- the synchronous facade
    def _call(self, f: str, op: Any, retry: bool = True) -> Any:
        sim = self.cluster.sim
        deadline = sim.now + to_ticks(self.timeout, "timeout")
        self._seq += 1
        while True:
            request = sim.submit(self.member, f, value=op, client=self.name,
                                 timeout=max(1, deadline - sim.now), seq=self._seq)
            asked = self.member
            kind, value = self._await(request.id)
            if kind == "ok":
                return _unwrap(value)
            if kind == "info":
                self._next_member()  # like a real client, the next call tries elsewhere
                raise OutcomeUnknown(f, f"no answer from {asked} within "
                                        f"{self.timeout} s of simulated time")
            if not retry or sim.now + 2 * RETRY_AFTER >= deadline:  # a retry gets >= 50 ms
                raise Unavailable(f"{f} did not happen: {self.member} answered {value!r} "
                                  f"and no retry succeeded within {self.timeout} s")
            self._next_member()
            sim.run(until=sim.now + RETRY_AFTER)

    def _await(self, request_id: int) -> tuple[str, Any]:
        sim = self.cluster.sim
        seen = [len(sim.history.ops)]
        found: list[tuple[str, Any]] = []

        def answered(s: Simulation) -> bool:
            ops = s.history.ops
            for op in ops[seen[0]:]:
                if op.request_id == request_id and op.type != "invoke":
                    found.append((op.type, op.value))
            seen[0] = len(ops)
            return bool(found)

        sim.run(until=answered)
        return found[0] if found else ("info", None)

    def _next_member(self) -> None:
        """After a failure or a timeout, an unpinned client tries the next member."""
        if self.pinned is None:
            members = self.cluster.members
            self.member = members[(members.index(self.member) + 1) % len(members)]


def _unwrap(value: Any) -> Any:
    """A state-machine refusal becomes the matching exception."""
    if isinstance(value, Failure):
        raise LeaseNotFound(value.lease_id)
    return value


class EmbeddedWatch(Watch):
    """Events of one member's store, read from its event history (never compacted)."""

    def __init__(self, cluster: EmbeddedCluster, member: str, key: str, prefix: bool,
                 start_revision: int | None) -> None:
        node = cluster.node(member)
        if node is None:
            raise Unavailable(f"cannot watch through {member}: it is down")
        self.cluster, self.member, self.key, self.prefix = cluster, member, key, prefix
        self.start_revision = start_revision or node.store.revision + 1
        self.cursor = 0  # index into the member's event list already looked at
        self.canceled = False

    def _matches(self, event: Event) -> bool:
        if event.revision < self.start_revision:
            return False
        return event.key.startswith(self.key) if self.prefix else event.key == self.key

    def _collect(self, out: list[Event], count: int) -> bool:
        node = cast("EtcdNode | None", self.cluster.sim.nodes[self.member])
        if node is not None:
            events = node.store.events
            while self.cursor < len(events) and len(out) < count:
                if self._matches(events[self.cursor]):
                    out.append(events[self.cursor])
                self.cursor += 1
        return len(out) >= count

    def get(self, count: int = 1, timeout: float = 1.0) -> list[Event]:
        """Up to ``count`` new events, running the simulation for at most ``timeout`` s."""
        if not isinstance(count, int) or count < 1:
            raise InvalidRequest(f"count must be an int >= 1, got {count!r}")
        if self.canceled:
            return []
        sim = self.cluster.sim
        deadline = sim.now + to_ticks(timeout, "timeout")
        out: list[Event] = []
        if not self._collect(out, count):
            sim.run(until=lambda s: self._collect(out, count) or s.now >= deadline)
        if sim.now < deadline and len(out) < count:
            sim.run(until=deadline)
        return out

    def cancel(self) -> None:
        """Stop watching."""
        self.canceled = True
