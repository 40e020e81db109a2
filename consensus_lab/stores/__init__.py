"""Toy stores of different consistency strengths, running in the simulator.

* :mod:`.quorum` — a CP register on majority quorums (ABD): linearizable,
  unavailable without a majority (the etcd side of CAP).
* :mod:`.dynamo` — an AP Dynamo-style store: any node coordinates, ``R`` /
  ``W`` replies from whoever is reachable, last-write-wins or siblings (the
  Cassandra / Riak side).
* :mod:`.experiment` — partition both and measure availability, stale reads
  and lost writes (:func:`partition_experiment`, :func:`cap_table`).
"""

from .analysis import Anomalies, find_anomalies, read_values
from .dynamo import DynamoConfig, DynamoNode, Get, GetReply, Put, PutAck, Sync
from .experiment import (
    STORES,
    ExperimentResult,
    SideStats,
    cap_table,
    partition_experiment,
    plot_cap,
)
from .quorum import Query, QueryReply, QuorumNode, Store, StoreAck
from .versions import Sibling, Versioned, Write, join_context, lww_merge, sibling_merge

__all__ = [
    "Anomalies", "DynamoConfig", "DynamoNode", "ExperimentResult", "Get", "GetReply", "Put",
    "PutAck", "Query", "QueryReply", "QuorumNode", "STORES", "SideStats", "Sibling", "Store",
    "StoreAck", "Sync", "Versioned", "Write", "cap_table", "find_anomalies", "join_context",
    "lww_merge", "partition_experiment", "plot_cap", "read_values", "sibling_merge",
]
