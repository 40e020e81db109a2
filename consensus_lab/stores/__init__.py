"""Toy stores of different consistency strengths, running in the simulator.

* :mod:`.quorum` — a CP register on majority quorums (ABD): linearizable,
  unavailable without a majority (the etcd side of CAP).
* :mod:`.dynamo` — an AP Dynamo-style store: any node coordinates, ``R`` /
  ``W`` replies from whoever is reachable, last-write-wins or siblings (the
  Cassandra / Riak side).
* :mod:`.experiment` — partition both and measure availability, stale reads
  and lost writes (:func:`partition_experiment`, :func:`cap_rows`; the DataFrame
  and plot are in ``viz``).
* :mod:`.sequential` — writes ordered by one sequencer, reads local:
  sequentially consistent, not linearizable (ZooKeeper's shape).
* :mod:`.causal` — local reads and writes, causal broadcast between
  replicas: causally consistent, not sequential.
* :mod:`.spectrum` — the same workload on a store of each strength
  (:func:`spectrum_run`, :func:`spectrum_rows`; ``viz.spectrum_table`` and ``viz.plot_spectrum``).

Each store is a step protocol (:mod:`consensus_lab.sim.step`): the pure rules
(:class:`SequentialStore`, :class:`QuorumStore`, :class:`DynamoStore`,
:class:`CausalStore`) over frozen states, run in the simulator by the
``...Node`` classes (:class:`~.stepping.StoreNode`); every input carries
the node's local clock (``now``), and Dynamo's gossip peer is drawn from a
generator in its state.
"""

from .analysis import Anomalies, find_anomalies, read_values
from .causal import CausalNode, CausalStore, CausalWrite
from .dynamo import DynamoConfig, DynamoNode, DynamoStore, Get, GetReply, Put, PutAck, Sync
from .experiment import (
    STORES,
    ExperimentResult,
    SideStats,
    cap_rows,
    partition_experiment,
)
from .quorum import Query, QueryReply, QuorumNode, QuorumStore, Store, StoreAck
from .sequential import ApplyWrite, OrderWrite, SequentialNode, SequentialStore
from .spectrum import STORES as SPECTRUM_STORES
from .spectrum import (
    SpectrumResult,
    spectrum_rows,
    spectrum_run,
    spectrum_runs,
    spectrum_workload,
)
from .stepping import StoreNode
from .versions import Sibling, Versioned, Write, join_context, lww_merge, sibling_merge

__all__ = [
    "ApplyWrite", "CausalNode", "CausalWrite", "OrderWrite", "SPECTRUM_STORES", "SequentialNode",
    "SpectrumResult", "spectrum_run", "spectrum_runs", "spectrum_rows",
    "spectrum_workload",
    "Anomalies", "DynamoConfig", "DynamoNode", "ExperimentResult", "Get", "GetReply", "Put",
    "PutAck", "Query", "QueryReply", "QuorumNode", "STORES", "SideStats", "Sibling", "Store",
    "StoreAck", "Sync", "Versioned", "Write", "cap_rows", "find_anomalies", "join_context",
    "lww_merge", "partition_experiment", "read_values", "sibling_merge",
    "CausalStore", "DynamoStore", "QuorumStore", "SequentialStore", "StoreNode",
]
