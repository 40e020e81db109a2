"""Fixtures for the etcd tests: one client per backend, on a fresh key prefix.

``etcd_client`` is parametrized over ``embedded`` and ``real``: the same
behaviour test runs on the lab's Raft in the simulator and on a real etcd
cluster (one 3-member cluster per session, started by ``local_cluster``; the
real cases skip, naming how to install etcd, when it is absent).

No test here may depend on the machine's speed (CI runs loaded): waits for a
condition (a leader, a member back, a key gone) use ``DEADLINE_S``
(tests/etcd/patience.py), generous
for a loaded machine, and return as soon as the condition holds; a request
expected to succeed gets ``REQUEST_TIMEOUT_S``. ``patient_leader_waits``
gives every ``LocalCluster.wait_for_leader`` (also the ones inside the
library's Jepsen runs and CP table) that deadline. When a condition never
comes, the test skips with the reason instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consensus_lab.etcd import EmbeddedCluster, EtcdClient, EtcdNotInstalled, local_cluster
from consensus_lab.etcd.local import LocalCluster, etcd_available
from tests.etcd.patience import DEADLINE_S, REQUEST_TIMEOUT_S

SKIP_REAL = f"no etcd server here: {EtcdNotInstalled.HOW_TO}"


@pytest.fixture
def patient_leader_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``LocalCluster.wait_for_leader`` waits up to ``DEADLINE_S`` (it returns at once
    when a leader is there): an election on a loaded machine can take seconds."""
    original = LocalCluster.wait_for_leader

    def patient(self: LocalCluster, timeout: float = 10.0,
                other_than: str | None = None) -> str:
        return original(self, max(timeout, DEADLINE_S), other_than)

    monkeypatch.setattr(LocalCluster, "wait_for_leader", patient)


@pytest.fixture(scope="session")
def real_cluster() -> Iterator[LocalCluster]:
    """A 3-member local etcd cluster shared by the session's real-backend tests."""
    if not etcd_available():
        pytest.skip(SKIP_REAL)
    with local_cluster(3, start_timeout=DEADLINE_S) as cluster:
        yield cluster


@pytest.fixture(params=["embedded", "real"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which backend the behaviour test runs on."""
    return request.param


@pytest.fixture
def etcd_client(backend: str, request: pytest.FixtureRequest) -> Iterator[EtcdClient]:
    """A client of a fresh embedded cluster, or of the session's real cluster."""
    if backend == "embedded":
        cluster = EmbeddedCluster(3, seed=7)
        cluster.wait_for_leader()
        client: EtcdClient = cluster.client()
    else:
        client = request.getfixturevalue("real_cluster").client(timeout=REQUEST_TIMEOUT_S)
    yield client
    client.close()


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own, so tests sharing the real cluster never collide."""
    return f"/{request.node.name}/"


@pytest.fixture
def etcd_pair(backend: str, request: pytest.FixtureRequest) -> Iterator[tuple[EtcdClient,
                                                                              EtcdClient]]:
    """Two clients of the same cluster (two processes contending for a lock)."""
    if backend == "embedded":
        cluster = EmbeddedCluster(3, seed=11)
        cluster.wait_for_leader()
        pair: tuple[EtcdClient, EtcdClient] = (cluster.client("c1"), cluster.client("c2"))
    else:
        real = request.getfixturevalue("real_cluster")
        pair = (real.client(timeout=REQUEST_TIMEOUT_S), real.client(timeout=REQUEST_TIMEOUT_S))
    yield pair
    for client in pair:
        client.close()
