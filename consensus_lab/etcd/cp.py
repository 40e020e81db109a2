"""etcd is CP: what an isolated member does with writes and reads (DDIA ch. 9).

The chapter's example of a CP system: when a member is cut off from the
majority, it cannot take writes (they fail or time out), and a
*linearizable* read through it cannot be answered either, because both need
the leader of a majority. A *serializable* read (etcd's ``--consistency=s``)
is answered by the member alone from what it has applied: it stays
available, and it is stale.

:func:`cp_behaviour` plays the same five steps on either backend and returns
a small table (one dict per step):

1. write ``x = 2`` through the majority side (``x`` was 1) — ok;
2. linearizable read of ``x`` through the majority side — 2;
3. write ``y`` through the isolated member — fails or times out;
4. linearizable read of ``x`` through the isolated member — fails or times out;
5. serializable read of ``x`` through the isolated member — ok, but 1: stale.

How the member is isolated. Embedded: a network partition (a follower
alone on one side). Real etcd: without network namespaces we cannot cut
links, so we use signals. Freezing a *follower* is not enough: the leader's
messages wait in its socket buffers, and it catches up the moment it is
thawed. So we freeze the *leader* (SIGSTOP, the chapter's GC pause); the
others elect a new leader and write ``x = 2``; then we freeze those two and
thaw the old leader. It is a minority of one. The new leader was still
probing it (Raft sends a lagging follower few entries until it answers), so
it usually never received ``x = 2`` and step 5 reads the stale 1. Usually,
not always: what the new leader wrote to its socket before it was frozen
is still delivered, and on a loaded machine that has been seen to include
``x = 2`` and its commit. Step 5 is then answered alone and happens to be
fresh; what never changes is that it is answered at all while steps 3 and
4 are not. (The embedded cluster cuts the link, so there it is always 1.)
A write through the isolated member may be forwarded and land later, when
the others are thawed: its outcome is *unknown*, which is why step 3
writes another key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .embedded import EmbeddedCluster
from .errors import EtcdError, OutcomeUnknown, Unavailable

COLUMNS = ("step", "operation", "through", "consistency", "outcome", "value", "stale")


def _attempt(action: Callable[[], Any]) -> tuple[str, Any]:
    """Run one call: ``("ok", value)``, ``("unavailable", None)`` or ``("timed out", None)``."""
    try:
        return "ok", action()
    except Unavailable:
        return "unavailable (did not happen)", None
    except OutcomeUnknown:
        return "timed out (outcome unknown)", None
    except EtcdError as error:
        return f"error: {error}", None


def _row(step: int, operation: str, through: str, consistency: str,
         result: tuple[str, Any], latest: str | None = None) -> dict[str, Any]:
    outcome, value = result
    stale = None if latest is None or outcome != "ok" else value != latest
    return {"step": step, "operation": operation, "through": through,
            "consistency": consistency, "outcome": outcome, "value": value, "stale": stale}


def _write(client: Any, key: str, value: str) -> str:
    """Put, and return the value written (the table shows it)."""
    client.put(key, value)
    return value


def _steps(majority: Any, isolated: Any, isolate: Callable[[], None], names: tuple[str, str],
           ) -> list[dict[str, Any]]:
    """The five steps with clients on the majority side and on the member to isolate."""
    near, far = names
    rows = [_row(1, "write x = 2", near, "-", _attempt(lambda: _write(majority, "x", "2"))),
            _row(2, "read x", near, "linearizable",
                 _attempt(lambda: majority.get("x").value), latest="2")]
    isolate()
    rows.append(_row(3, "write y = 3", far, "-", _attempt(lambda: _write(isolated, "y", "3"))))
    rows.append(_row(4, "read x", far, "linearizable",
                     _attempt(lambda: isolated.get("x").value), latest="2"))
    rows.append(_row(5, "read x", far, "serializable",
                     _attempt(lambda: isolated.get("x", serializable=True).value), latest="2"))
    return rows


def cp_embedded(seed: int = 0, timeout: float = 1.0) -> list[dict[str, Any]]:
    """The five steps on an embedded 3-member cluster; a follower is partitioned away."""
    cluster = EmbeddedCluster(3, seed=seed)
    leader = cluster.wait_for_leader()
    follower = next(m for m in cluster.members if m != leader)
    others = [m for m in cluster.members if m != follower]
    setup = cluster.client("setup", timeout=timeout)
    setup.put("x", "1")
    cluster.advance(0.3)  # every member applies x = 1
    majority = cluster.client("near", member=leader, timeout=timeout)
    isolated = cluster.client("far", member=follower, timeout=timeout)
    cluster.partition([follower], others)  # cut off at once: step 1 happens without it
    return _steps(majority, isolated, lambda: None,
                  (f"{leader} (leader, majority side)", f"{follower} (isolated follower)"))


def cp_real(cluster: Any = None, timeout: float = 2.0) -> list[dict[str, Any]]:
    """The five steps on real etcd (a fresh :func:`local_cluster` unless one is given).

    The member isolated is the *old leader*: frozen while the others elect a
    new leader and write ``x = 2``, then thawed alone (see the module docstring).
    """
    if cluster is None:
        from .local import local_cluster

        with local_cluster(3) as own:
            return cp_real(own, timeout)
    prefix = f"/cp/{time.monotonic_ns()}/"
    old = cluster.wait_for_leader()
    others = [m for m in cluster.members if m != old]
    with cluster.client(timeout=timeout) as setup:
        setup.put(prefix + "x", "1")
    time.sleep(0.5)  # every member applies x = 1
    cluster.pause(old)  # it misses what follows
    try:
        leader = cluster.wait_for_leader(timeout=10.0, other_than=old)

        def isolate() -> None:
            for member in others:
                cluster.pause(member)
            cluster.resume(old)

        return _steps(_Prefixed(cluster, leader, prefix, timeout),
                      _Prefixed(cluster, old, prefix, timeout), isolate,
                      (f"{leader} (new leader, majority side)",
                       f"{old} (old leader, thawed alone)"))
    finally:
        for member in cluster.members:
            if cluster.members[member].paused:
                cluster.resume(member)
        cluster.wait_healthy(20.0)


class _Prefixed:
    """A fresh real client per call, keys under ``prefix`` (runs on a shared cluster never
    collide). Fresh, because python3-etcd3 shuns a member for a second after an error,
    and step 5 must really ask the member that just timed out in step 4."""

    def __init__(self, cluster: Any, member: str, prefix: str, timeout: float) -> None:
        self.cluster, self.member, self.prefix, self.timeout = cluster, member, prefix, timeout

    def put(self, key: str, value: str) -> Any:
        with self.cluster.client(self.member, timeout=self.timeout) as client:
            return client.put(self.prefix + key, value)

    def get(self, key: str, serializable: bool = False) -> Any:
        with self.cluster.client(self.member, timeout=self.timeout) as client:
            return client.get(self.prefix + key, serializable=serializable)


def cp_behaviour(backend: str = "embedded", **options: Any) -> list[dict[str, Any]]:
    """The CP table on ``backend`` ("embedded" or "etcd"); see the module docstring."""
    if backend == "embedded":
        return cp_embedded(**options)
    if backend == "etcd":
        return cp_real(**options)
    raise ValueError(f"backend must be 'embedded' or 'etcd', got {backend!r}")


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows as aligned text."""
    cells = [[str(c) for c in COLUMNS]] + [["-" if row[c] is None else str(row[c])
                                            for c in COLUMNS] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
                     .rstrip() for line in cells)
