#!/usr/bin/env python3
"""Write notebooks/11-etcd-and-locks.ipynb (cells only, no outputs).

Usage:
    .venv/bin/python tools/nb11.py
    .venv/bin/python tools/run_notebooks.py notebooks/11-etcd-and-locks.ipynb

The cells are the list below, ("md" | "code", text), as in tools/raft_nb05.py;
the notebook is built with tools/raft_notebooks.build, then executed and saved
with its outputs by tools/run_notebooks.py. Real etcd runs only inside
`with local_cluster(...)` blocks, guarded by `etcd_available()`, so the
notebook runs (and says how to install etcd) on a machine without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from raft_notebooks import NOTEBOOKS, build  # noqa: E402

NAME = "11-etcd-and-locks"

CELLS: list[tuple[str, str]] = [
    ("md", r"""
# 11 · etcd and Chubby: a consensus store you can call (案例: Chubby 與 etcd)

The chapter's two real systems built on consensus: **Chubby**, Google's lock service on
Multi-Paxos, and **etcd**, the Raft-based key-value store behind Kubernetes. In this
notebook you use etcd's API — put, get, transactions, watch, leases with a TTL — on **two
backends at once**:

- **embedded**: the lab's own etcd, an MVCC key-value state machine replicated by the
  lab's Raft ([05](05-raft-election.ipynb)–[07](07-raft-safety.ipynb)) in the simulator;
  no server, simulated time, and a seed replays everything;
- **real**: a 3-member etcd cluster started on 127.0.0.1 by `local_cluster(3)`, through
  the `python3-etcd3` client (gRPC), in real time.

The same calls give the same answers — down to the revision numbers. Then you will see
why an etcd read can be **linearizable** or **serializable** (and stale), what a member
cut off from the majority answers (CP, from [02 · CAP](02-cap.ipynb)), how Chubby maps
onto the lab's Multi-Paxos ([08](08-paxos.ipynb)), and a first look at the lock that
[13 · exercise](13-exercise-distributed-lock.ipynb) asks you to build.
"""),
    ("code", r"""
import pandas as pd
import matplotlib.pyplot as plt
pd.set_option("display.max_colwidth", None)
pd.set_option("display.width", 200)
from consensus_lab.etcd import EmbeddedCluster, EtcdNotInstalled, etcd_available, local_cluster
from consensus_lab.etcd.tour import (embedded_failover, kv_tour, lease_tour, real_failover,
                                     stale_read_tour, watch_tour)
from consensus_lab.glossary import glossary_table
from consensus_lab.nb import show
"""),
    ("md", r"""
## Vocabulary (詞彙)

| English | 繁體中文 | in etcd |
|---|---|---|
| revision | 修訂版本 | the store's logical clock: +1 for every change, never reused |
| create / mod revision, version | 建立/修改版本、版本號 | per key: created, changed, puts |
| transaction (txn) | 交易 | if every compare holds then these ops else those, atomically |
| lease, TTL | 租約、存活時間 | keys attached to a lease are deleted when it expires |
| keep-alive | 續約 | renew a lease for another TTL |
| watch | 監看 | a stream of changes to a key or prefix, in revision order |
| linearizable read | 線性一致讀取 | goes through the leader and a quorum: never stale |
| serializable read | 可序列化讀取 | answered by the member you ask: may be stale |
"""),
    ("code", r"""
terms = glossary_table(("etcd",))
terms
"""),
    ("md", r"""
## Two backends, one interface

`EmbeddedCluster(3, seed=1)` builds three simulated members; its `client()` is an
`EtcdClient`. A real cluster needs the `etcd` server binary (Debian's `etcd-server`);
`local_cluster(3)` starts three members on free loopback ports with temporary data
directories and stops them all when its `with` block ends — on error or Ctrl-C too. This
notebook only starts real members inside such blocks, so nothing is left running.
"""),
    ("code", r"""
cluster = EmbeddedCluster(3, seed=1)
print("embedded leader:", cluster.wait_for_leader())
etcd = cluster.client()
REAL = etcd_available()
print("real etcd:", "installed" if REAL else f"NOT installed — {EtcdNotInstalled.HOW_TO}")
"""),
    ("md", r"""
The real cluster does all its work in the next cell: the same three tours as the embedded
one (each tour is a short function in `consensus_lab.etcd.tour`, shown below), plus a
measured leader failover — the leader frozen with SIGSTOP, as a GC pause would. Without
etcd the cell only says so; every later cell then shows the embedded side alone.
"""),
    ("code", r"""
real = {}
if REAL:
    with local_cluster(3) as members:
        with members.client(timeout=3.0) as etcd_real:
            real["kv"] = kv_tour(etcd_real)
            real["lease"] = lease_tour(etcd_real, ttl=2)
            real["watch"] = watch_tour(etcd_real)
        real["failover"] = real_failover(members)   # SIGSTOP the leader, time the next
    print("real tours done; the cluster is stopped and its data deleted")
else:
    print("skipped: no etcd here. Install it with: sudo apt-get install etcd-server "
          "etcd-client (or `make lab`), then re-run this notebook.")
"""),
    ("md", r"""
## put, get and revisions (修訂版本)

The tour puts a key, reads it, overwrites it, tries two compare-and-swaps, deletes it and
reads again. Watch the `revision` column: every change moves it by exactly one; a read or
a failed compare does not. The key's own `create` and `mod` revisions and its `version`
(puts since creation) come back with every read.
"""),
    ("code", r"""
show(kv_tour)
"""),
    ("code", r"""
side = pd.DataFrame(kv_tour(etcd)).rename(columns={"answer": "embedded", "revision": "rev"})
if real:
    theirs = pd.DataFrame(real["kv"])
    side["real etcd"], side["real rev"] = theirs["answer"], theirs["revision"]
side
"""),
    ("md", r"""
Both backends started from revision 1 (an empty store), so the numbers match one for one.
The compare-and-swap is etcd's **transaction**: `txn([compares], [ops if true], [ops if
false])`. It is how etcd does everything that needs atomicity — a lock is one
(notebook 13): "if the lock key does not exist, create it".

## Leases with a TTL (租約)

A lease is granted with a TTL in seconds; keys put with it are deleted when it expires,
unless a keep-alive renews it. On the embedded cluster the leader's *lessor* counts
simulated time; on real etcd it counts real time. Neither renews here:
"""),
    ("code", r"""
rows = [lease_tour(etcd, ttl=2)] + ([real["lease"]] if real else [])
pd.DataFrame(rows).set_index("backend")
"""),
    ("md", r"""
The key goes a little after the TTL: the leader checks for expired leases periodically and
revokes them **through the log**, so every member deletes the key at the same revision.
(A new leader gives every lease a fresh TTL — a lease never ends *early* because of a
failover.)

## Watch (監看)

A watch on a prefix receives every change under it, in revision order — even ones it
missed while disconnected, if it asks from an older revision. Kubernetes controllers are
built on exactly this.
"""),
    ("code", r"""
{"embedded": watch_tour(etcd), "real etcd": real.get("watch", "(etcd not installed)")}
"""),
    ("md", r"""
## Linearizable and serializable reads

etcd reads are **linearizable** by default: the member asks the leader, which confirms with
a quorum that it still leads (etcd's *ReadIndex*), so a read never returns a value older
than a write that finished before it began. A **serializable** read (`serializable=True`)
is answered by the member you ask, from what it has applied — faster, available without a
leader, possibly stale. Cut a follower off from the majority and ask it:
"""),
    ("code", r"""
pd.DataFrame(stale_read_tour())
"""),
    ("md", r"""
This is the chapter's CP choice in one table: the cut-off member cannot write and cannot
give a linearizable answer — it can only be stale (serializable) or silent. Note the two
kinds of failure: `Unavailable` means *certainly not done* (no leader took it), while
`OutcomeUnknown` means *maybe done* — a timeout; a client must never count it as a
failure. The Jepsen-style runs (`consensus-lab jepsen embedded|etcd`) check whole
histories of such calls with the lab's linearizability checker.

## A leader failover, measured

Freeze the leader (SIGSTOP, or `pause` in the simulator) and the others stop hearing
heartbeats; after an election timeout one of them starts an election and wins. The
embedded cluster uses the Raft paper's election timeout (150–300 ms); etcd's default is
1000 ms (heartbeat 100 ms):
"""),
    ("code", r"""
show(real_failover)
"""),
    ("code", r"""
import statistics
times = embedded_failover(range(10))
rows = [{"backend": "embedded (simulated time, 10 seeds)", "election timeout": "150–300 ms",
         "failover (s)": f"median {statistics.median(times)}, max {max(times)}"}]
if real:
    rows.append({"backend": "real etcd (wall clock)", "election timeout": "1000 ms",
                 "failover (s)": f"{real['failover']['failover (s)']} "
                 f"({real['failover']['old leader']} → {real['failover']['new leader']})"})
pd.DataFrame(rows).set_index("backend")
"""),
    ("md", r"""
The real figure also includes our polling of the members' status endpoints (every 50 ms).
During those fractions of a second no write can commit: that is the price of consensus
the chapter talks about — unavailability during a failover, never a lost acknowledged write.

## Chubby and the lab's Multi-Paxos (案例 1: Chubby)

Chubby (Burrows, OSDI 2006) is a **lock service**: a cell of 5 replicas (tolerates 2
failures) elects a **master** with Multi-Paxos; clients talk only to the master; the
master holds a **master lease** so it can answer reads from memory without a consensus
round. Its locks come with a **sequencer** — a token the lock server hands out and storage
servers check: Chubby's name for the *fencing token* of notebook 13. etcd is the same idea
on Raft, with a key-value API instead of a file-system one:

| | Chubby | etcd | in this lab |
|---|---|---|---|
| consensus | Multi-Paxos | Raft | `paxos.multi`, `raft` |
| leader | master, holds a master lease | leader, one per term | the Multi-Paxos / Raft leader |
| client sessions | session lease + KeepAlive | lease + keep-alive | `lease_grant`, keep-alive |
| lock | file lock + sequencer | txn "create if absent", token = revision | `fencing_lock` |
| notification | events on files | watch | `watch(...)` |

The chapter's figures next to what the lab's own 5-node Multi-Paxos and Raft measure on one
latency model (messages 1–10 ms; no disks, so writes are pure round trips):
"""),
    ("code", r"""
from consensus_lab.viz.experiments import chubby_table
chubby_table(seed=0).set_index("system")
"""),
    ("md", r"""
## A first look at the lock

The library's `FencedLock` follows etcd's own lock recipe: acquire is one transaction
— *if the lock key does not exist, put it, with value = my id, attached to my lease* —
and the lock key's revision is the **fencing token**. Two clients on the embedded cluster:
"""),
    ("code", r"""
from consensus_lab.etcd.lock import FencedLock
c1, c2 = cluster.client(), cluster.client()      # two more clients of the same cluster
one, two = FencedLock(c1, "/locks/demo", "c1", ttl=5), FencedLock(c2, "/locks/demo", "c2", ttl=5)
token1 = one.acquire()
print("c1 token", token1, "| c2 try:", two.try_acquire(), "| key:", c1.get("/locks/demo").kvs[0])
one.release()
print("c1 released; c2 token", two.acquire(), "| key:", c2.get("/locks/demo").kvs[0])
two.release();
"""),
    ("md", r"""
c2's token is larger than c1's: revisions only grow. Why that matters — a holder that
*pauses* past its lease — is the story of notebook 13, where you write these functions
yourself.

## What to notice

- The same calls give the same answers on the lab's Raft and on etcd: a key-value state
  machine on a replicated log *is* the design; etcd adds MVCC (revisions), leases,
  watches and transactions on top.
- The revision is a logical clock for the whole store — the thing that makes watches
  resumable and fencing tokens monotonic.
- Linearizable reads cost a round to the leader's quorum; serializable reads are local
  and may be stale. A member without a majority can do only the latter.
- A lease expires by the **leader's** clock and is revoked through the log; a failover
  renews leases instead of expiring them early.

## Summary

- etcd = Raft + an MVCC key-value store: put / get / delete / txn, revisions, leases with
  TTL, watch; the lab's embedded backend implements the same API on its own Raft.
- CP: a member cut off from the majority refuses writes and linearizable reads.
- Chubby is the same pattern on Multi-Paxos, with sequencers as fencing tokens.

Next: [13 · exercise: a distributed lock](13-exercise-distributed-lock.ipynb) — the pause
story, and the lock you write.
"""),
]


def main() -> int:
    """Write the notebook (no outputs; run tools/run_notebooks.py on it next)."""
    path = NOTEBOOKS / f"{NAME}.ipynb"
    nbformat.write(build(CELLS), path)
    print(f"{path}: written (run tools/run_notebooks.py on it to add outputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
