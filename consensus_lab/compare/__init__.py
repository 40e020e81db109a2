"""Experiments that measure one protocol against another.

A comparison needs both protocols, so it cannot live in either one's
package without making it import its sibling: here it sits above every
protocol package (see ARCHITECTURE.md) and below ``explore`` and ``viz``.

* :mod:`.paxos_raft` — Multi-Paxos and Raft on the same workload: messages
  per command (notebook 08).
* :mod:`.chubby` — Chubby's published figures next to the lab's 5-node
  Multi-Paxos and Raft clusters on Spanner's latency model (notebooks 10, 11).

Standard library only: the tables are rows (dicts); :mod:`consensus_lab.viz`
turns them into DataFrames.
"""
