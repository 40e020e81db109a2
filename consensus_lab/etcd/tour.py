"""The chapter's etcd calls as small scripted tours, runnable on any backend.

Notebook 11 runs each tour on the embedded cluster and on a real etcd and
sets the answers side by side: the same calls, the same revisions, the same
lease behaviour — one on the lab's Raft in simulated time, one on etcd.

* :func:`kv_tour` — put / get / put again / txn (compare-and-swap) / delete,
  with the revision, create / mod revision and version after each call;
* :func:`lease_tour` — a key on a lease with a TTL and no keep-alive, read
  until it is gone: when did it disappear?
* :func:`watch_tour` — a watch on a prefix sees every change, in revision order;
* :func:`stale_read_tour` — (embedded) a member cut off from the majority:
  its serializable read is stale, its linearizable read and its write fail.
"""

from __future__ import annotations

from typing import Any

from .api import EtcdClient, KeyValue
from .errors import OutcomeUnknown, Unavailable
from .ops import Compare, Put


def _kv(kv: KeyValue | None) -> str:
    if kv is None:
        return "(absent)"
    return f"{kv.value!r} create={kv.create_revision} mod={kv.mod_revision} v{kv.version}"


def kv_tour(client: EtcdClient, prefix: str = "/tour/") -> list[dict[str, Any]]:
    """Rows (call, answer, revision) for the basic KV calls on keys under ``prefix``."""
    key = prefix + "greeting"
    rows: list[dict[str, Any]] = []

    def row(call: str, answer: str, revision: int) -> None:
        rows.append({"call": call, "answer": answer, "revision": revision})

    row(f"put({key!r}, 'hello')", "ok", client.put(key, "hello").revision)
    got = client.get(key)
    row(f"get({key!r})", _kv(got.kvs[0] if got.kvs else None), got.revision)
    row(f"put({key!r}, 'hi')", "ok", client.put(key, "hi").revision)
    got = client.get(key)
    row(f"get({key!r})", _kv(got.kvs[0] if got.kvs else None), got.revision)
    for expected in ("hello", "hi"):
        cas = client.txn([Compare(key=key, target="value", result="==", operand=expected)],
                         [Put(key=key, value="hey")], [])
        row(f"txn(if value == {expected!r}: put 'hey')",
            "succeeded" if cas.succeeded else "failed: compare false", cas.revision)
    deleted = client.delete(key)
    row(f"delete({key!r})", f"deleted {deleted.deleted}", deleted.revision)
    got = client.get(key)
    row(f"get({key!r})", _kv(got.kvs[0] if got.kvs else None), got.revision)
    return rows


def lease_tour(client: EtcdClient, ttl: int = 2, prefix: str = "/tour/",
               poll: float = 0.25, limit: float = 15.0) -> dict[str, Any]:
    """Put a key on a ``ttl`` lease, never renew it, poll until it is gone."""
    key = prefix + "session"
    lease = client.lease_grant(ttl)
    client.put(key, "alive", lease=lease.id)
    start, waited = client.now(), 0.0
    while client.get(key).count and waited < limit:
        client.sleep(poll)
        waited = client.now() - start
    gone = not client.get(key).count
    return {"backend": client.backend, "ttl (s)": lease.ttl,
            "key gone after (s)": round(waited, 2) if gone else None,
            "note": "deleted when the lease expired" if gone else f"still there after {limit} s"}


def watch_tour(client: EtcdClient, prefix: str = "/tour/watched/") -> list[str]:
    """Changes under ``prefix`` as a watch reports them (put, put, delete)."""
    with client.watch(prefix, prefix=True) as watch:
        client.put(prefix + "a", "1")
        client.put(prefix + "b", "2")
        client.delete(prefix + "a")
        return [str(event) for event in watch.get(3, timeout=5.0)]


def stale_read_tour(seed: int = 5) -> list[dict[str, Any]]:
    """(embedded) Cut one member off: what its reads and writes answer, and the majority's."""
    from .embedded import EmbeddedCluster

    cluster = EmbeddedCluster(3, seed=seed)
    leader = cluster.wait_for_leader()
    follower = next(m for m in cluster.members if m != leader)
    majority = [m for m in cluster.members if m != follower]
    cluster.client().put("x", "old")
    cluster.advance(0.5)
    cluster.partition([follower], majority)
    cluster.client(member=majority[0]).put("x", "new")
    isolated = cluster.client(member=follower, timeout=1.0)
    rows = [{"member": f"{majority[1]} (majority side)", "call": "get x (linearizable)",
             "answer": repr(cluster.client(member=majority[1]).get_value("x"))}]
    for call, run in (("get x (serializable)", lambda: isolated.get_value("x",
                                                                         serializable=True)),
                      ("get x (linearizable)", lambda: isolated.get_value("x")),
                      ("put x = 'minority'", lambda: isolated.put("x", "minority"))):
        try:
            answer = repr(run())
        except (OutcomeUnknown, Unavailable) as error:
            answer = f"{type(error).__name__}: {error}"
        rows.append({"member": f"{follower} (cut off)", "call": call, "answer": answer})
    return rows


def embedded_failover(seeds: range = range(10)) -> list[float]:
    """Seconds (simulated) from pausing the leader until another member leads, per seed."""
    from .embedded import EmbeddedCluster

    times = []
    for seed in seeds:
        cluster = EmbeddedCluster(3, seed=seed, invariants=False)
        old = cluster.wait_for_leader()
        cluster.pause(old)
        paused_at = cluster.now
        while cluster.wait_for_leader() == old:
            cluster.advance(0.01)
        times.append(round(cluster.now - paused_at, 3))
    return times


def real_failover(cluster: Any) -> dict[str, Any]:
    """Freeze a real cluster's leader (SIGSTOP) and time the next leader (wall clock)."""
    import time

    old = cluster.wait_for_leader()
    cluster.pause(old)
    try:
        started = time.monotonic()
        new = cluster.wait_for_leader(other_than=old)
        took = time.monotonic() - started
    finally:
        cluster.resume(old)
    return {"old leader": old, "new leader": new, "failover (s)": round(took, 2)}
