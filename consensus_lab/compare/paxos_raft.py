"""Multi-Paxos and Raft on the same workload: how many messages per command?

Both clusters run on the same network with the same seed; a leader is
elected first (not counted), then the same client workload
(:mod:`consensus_lab.paxos.workload`) goes through the leader and every message sent until
the last answer is counted, heartbeats included.

What to expect with one command at a time on ``n`` nodes: Raft sends
AppendEntries to ``n-1`` followers and gets ``n-1`` replies; followers
learn the commit index from the *next* AppendEntries. This Multi-Paxos
sends P2a and gets P2b from ``n-1`` acceptors, then a Decision to ``n-1``
replicas: ``3(n-1)`` against ``2(n-1)``. In a burst, Raft's leader batches
many entries per AppendEntries while PMMC runs one commander per slot,
so the gap widens — the "needs optimization" of the chapter's table.
"""

from __future__ import annotations

from typing import Any

from ..paxos.multi.scenarios import messages_per_command
from ..paxos.workload import WORKLOADS, MessageBill, run_workload
from ..raft.cluster import check_one_leader, raft_cluster
from ..sim import Network

#: The network both protocols run on in the comparison.
COMPARE_NETWORK = Network(latency=(2, 10))


def raft_messages_per_command(commands: int = 100, *, n: int = 3, seed: int = 0,
                              workload: str = "sequential",
                              network: Network | None = None) -> MessageBill:
    """Raft's bill for the workload (leader elected first, not counted)."""
    sim = raft_cluster(n, seed=seed, network=network or COMPARE_NETWORK, invariants=False,
                       trace=False)
    leader = check_one_leader(sim).node_id
    sim.run(until=sim.now + 100)
    return run_workload(sim, leader, commands, workload, protocol="raft")


def comparison_rows(commands: int = 100, seed: int = 0, *, n: int = 3,
                    workloads: tuple[str, ...] = WORKLOADS) -> list[dict[str, Any]]:
    """One row per (protocol, workload) with messages per command and the messages
    by type (``msgs:<Type>`` keys, the same in every row, 0 where a type is not used).

    :func:`consensus_lab.viz.compare_with_raft` makes them a DataFrame.
    """
    rows = []
    for workload in workloads:
        for bill in (messages_per_command(commands, n=n, seed=seed, workload=workload,
                                          network=COMPARE_NETWORK),
                     raft_messages_per_command(commands, n=n, seed=seed, workload=workload)):
            rows.append(bill.row())
    counts = sorted({k for row in rows for k in row if k.startswith("msgs:")})
    return [{**{k: v for k, v in row.items() if not k.startswith("msgs:")},
             **{k: row.get(k, 0) for k in counts}} for row in rows]
