"""etcd's v3 API, embedded on the lab's Raft or over a real etcd cluster.

DDIA ch. 9 uses etcd as its example of a linearizable, consensus-backed
store (CP: without a majority it refuses writes). This package gives the
same :class:`EtcdClient` interface on two backends:

* **embedded** (the default, no server): :class:`EmbeddedCluster` runs
  :class:`~.node.EtcdNode` members — the lab's Raft replicating the MVCC
  state machine of :mod:`.mvcc` — in the simulator; calls drive simulated
  time, leases expire in simulated time, and a seed replays a run exactly;
* **real**: :class:`~.real.RealClient` over real etcd members, for example
  those started by :func:`local_cluster`.

    >>> cluster = EmbeddedCluster(3, seed=1)
    >>> etcd = cluster.client()
    >>> etcd.put("greeting", "hello").revision
    2

Modules: :mod:`.api` (results, the interface), :mod:`.ops` (requests), :mod:`.errors`,
:mod:`.mvcc` (revisions, versions, transactions, leases), :mod:`.node` (an
etcd member on Raft), :mod:`.embedded`, :mod:`.real`, :mod:`.local`.
"""

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
from .embedded import EmbeddedClient, EmbeddedCluster
from .errors import (
    EtcdClientNotInstalled,
    EtcdError,
    EtcdNotInstalled,
    InvalidRequest,
    LeaseNotFound,
    OutcomeUnknown,
    Unavailable,
)
from .local import DATA_DIR_PREFIX, LocalCluster, etcd_available, local_cluster
from .mvcc import MVCCStore
from .node import EtcdNode
from .ops import Compare, Delete, Get, Put, Txn

__all__ = [
    "DATA_DIR_PREFIX", "Compare", "Delete", "DeleteResult", "EmbeddedClient", "EmbeddedCluster",
    "EtcdClient", "EtcdClientNotInstalled", "EtcdError", "EtcdNode", "EtcdNotInstalled",
    "Event", "Get", "InvalidRequest", "KeyValue", "LeaseGrant", "LeaseNotFound",
    "LocalCluster", "MVCCStore", "OutcomeUnknown", "Put", "PutResult", "RangeResult",
    "Txn", "TxnResult", "Unavailable", "Watch", "etcd_available", "local_cluster",
]
