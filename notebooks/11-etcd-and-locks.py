# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · etcd and Chubby: a consensus store you can call (案例: Chubby 與 etcd)
#
# The chapter's two real systems built on consensus: **Chubby**, Google's lock service on
# Multi-Paxos, and **etcd**, the Raft-based key-value store behind Kubernetes. In this
# notebook you use etcd's API — put, get, transactions, watch, leases with a TTL — on **two
# backends at once**:
#
# - **embedded**: the lab's own etcd, an MVCC key-value state machine replicated by the
#   lab's Raft ([05](05-raft-election.ipynb)–[07](07-raft-safety.ipynb)) in the simulator;
#   no server, simulated time, and a seed replays everything;
# - **real**: a 3-member etcd cluster started on 127.0.0.1 by `local_cluster(3)`, through
#   the `python3-etcd3` client (gRPC), in real time.
#
# The same calls give the same answers — down to the revision numbers. Then you will see
# why an etcd read can be **linearizable** or **serializable** (and stale), what a member
# cut off from the majority answers (CP, from [02 · CAP](02-cap.ipynb)), how Chubby maps
# onto the lab's Multi-Paxos ([08](08-paxos.ipynb)), and a first look at the lock that
# [13 · exercise](13-exercise-distributed-lock.ipynb) asks you to build.
#
# Previous: [10 · Spanner and TrueTime](10-spanner-truetime.ipynb). Next:
# [12 · exercise: pick the consistency model](12-exercise-consistency-choice.ipynb).

# %%
import pandas as pd
import matplotlib.pyplot as plt
pd.set_option("display.max_colwidth", None)
pd.set_option("display.width", 200)
from consensus_lab.etcd import EmbeddedCluster, EtcdNotInstalled, etcd_available, local_cluster
from consensus_lab.etcd.tour import (embedded_failover, kv_tour, lease_tour, real_failover,
                                     stale_read_tour, watch_tour)
from consensus_lab.glossary import glossary_table
from consensus_lab.nb import show

# %% [markdown]
# ## Vocabulary (詞彙)
#
# The terms this notebook teaches, from the lab's glossary (the lease is the one a lock
# hangs on; notebook 13 adds the lock's own terms):

# %%
terms = glossary_table("etcd")
terms[terms.notebook == "11-etcd-and-locks"]

# %% [markdown]
# ## Two backends, one interface
#
# `EmbeddedCluster(3, seed=1)` builds three simulated members; its `client()` is an
# `EtcdClient`. A real cluster needs the `etcd` server binary (Debian's `etcd-server`);
# `local_cluster(3)` starts three members on free loopback ports with temporary data
# directories and stops them all when its `with` block ends — on error or Ctrl-C too. This
# notebook only starts real members inside such blocks, so nothing is left running.

# %%
cluster = EmbeddedCluster(3, seed=1)
print("embedded leader:", cluster.wait_for_leader())
etcd = cluster.client()
REAL = etcd_available()
print("real etcd:", "installed" if REAL else f"NOT installed — {EtcdNotInstalled.HOW_TO}")

# %% [markdown]
# The real cluster does all its work in the next cell: the same three tours as the embedded
# one (each tour is a short function in `consensus_lab.etcd.tour`, shown below), plus a
# measured leader failover — the leader frozen with SIGSTOP, as a GC pause would. Without
# etcd the cell only says so; every later cell then shows the embedded side alone.

# %%
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

# %% [markdown]
# ## put, get and revisions (修訂版本)
#
# The tour puts a key, reads it, overwrites it, tries two compare-and-swaps, deletes it and
# reads again. Watch the `revision` column: every change moves it by exactly one; a read or
# a failed compare does not. The key's own `create` and `mod` revisions and its `version`
# (puts since creation) come back with every read.

# %%
show(kv_tour)

# %%
side = pd.DataFrame(kv_tour(etcd)).rename(columns={"answer": "embedded", "revision": "rev"})
if real:
    theirs = pd.DataFrame(real["kv"])
    side["real etcd"], side["real rev"] = theirs["answer"], theirs["revision"]
side

# %% [markdown]
# Both backends started from revision 1 (an empty store), so the numbers match one for one.
# The compare-and-swap is etcd's **transaction**: `txn([compares], [ops if true], [ops if
# false])`. It is how etcd does everything that needs atomicity — a lock is one
# (notebook 13): "if the lock key does not exist, create it".
#
# ## Leases with a TTL (租約)
#
# A lease is granted with a TTL in seconds; keys put with it are deleted when it expires,
# unless a keep-alive renews it. On the embedded cluster the leader's *lessor* counts
# simulated time; on real etcd it counts real time. Neither renews here:

# %%
rows = [lease_tour(etcd, ttl=2)] + ([real["lease"]] if real else [])
pd.DataFrame(rows).set_index("backend")

# %% [markdown]
# The key goes a little after the TTL: the leader checks for expired leases periodically and
# revokes them **through the log**, so every member deletes the key at the same revision.
# (A new leader gives every lease a fresh TTL — a lease never ends *early* because of a
# failover.)
#
# ## Watch (監看)
#
# A watch on a prefix receives every change under it, in revision order — even ones it
# missed while disconnected, if it asks from an older revision. Kubernetes controllers are
# built on exactly this.

# %%
{"embedded": watch_tour(etcd), "real etcd": real.get("watch", "(etcd not installed)")}

# %% [markdown]
# ## Linearizable and serializable reads
#
# etcd reads are **linearizable** by default: the member asks the leader, which confirms with
# a quorum that it still leads (etcd's *ReadIndex*), so a read never returns a value older
# than a write that finished before it began. A **serializable** read (`serializable=True`)
# is answered by the member you ask, from what it has applied — faster, available without a
# leader, possibly stale. Cut a follower off from the majority and ask it:

# %%
pd.DataFrame(stale_read_tour())

# %% [markdown]
# This is the chapter's CP choice in one table: the cut-off member cannot write and cannot
# give a linearizable answer — it can only be stale (serializable) or silent. Note the two
# kinds of failure: `Unavailable` means *certainly not done* (no leader took it), while
# `OutcomeUnknown` means *maybe done* — a timeout; a client must never count it as a
# failure. The Jepsen-style runs (`consensus-lab jepsen embedded|etcd`) check whole
# histories of such calls with the lab's linearizability checker.
#
# ## A leader failover, measured
#
# Freeze the leader (SIGSTOP, or `pause` in the simulator) and the others stop hearing
# heartbeats; after an election timeout one of them starts an election and wins. The
# embedded cluster uses the Raft paper's election timeout (150–300 ms); etcd's default is
# 1000 ms (heartbeat 100 ms):

# %%
show(real_failover)

# %%
import statistics
times = embedded_failover(range(10))
rows = [{"backend": "embedded (simulated time, 10 seeds)", "election timeout": "150–300 ms",
         "failover (s)": f"median {statistics.median(times)}, max {max(times)}"}]
if real:
    rows.append({"backend": "real etcd (wall clock)", "election timeout": "1000 ms",
                 "failover (s)": f"{real['failover']['failover (s)']} "
                 f"({real['failover']['old leader']} → {real['failover']['new leader']})"})
pd.DataFrame(rows).set_index("backend")

# %% [markdown]
# The real figure also includes our polling of the members' status endpoints (every 50 ms).
# For as long as a failover lasts (the table above) no write can commit: that is the price of consensus
# the chapter talks about — unavailability during a failover, never a lost acknowledged write.
#
# ## Chubby and the lab's Multi-Paxos (案例 1: Chubby)
#
# Chubby (Burrows, OSDI 2006) is a **lock service**: a cell of 5 replicas (tolerates 2
# failures) elects a **master** with Multi-Paxos; clients talk only to the master; the
# master holds a **master lease** so it can answer reads from memory without a consensus
# round. Its locks come with a **sequencer** — a token the lock server hands out and storage
# servers check: Chubby's name for the *fencing token* of notebook 13. etcd is the same idea
# on Raft, with a key-value API instead of a file-system one:
#
# | | Chubby | etcd | in this lab |
# |---|---|---|---|
# | consensus | Multi-Paxos | Raft | `paxos.multi`, `raft` |
# | leader | master, holds a master lease | leader, one per term | the Multi-Paxos / Raft leader |
# | client sessions | session lease + KeepAlive | lease + keep-alive | `lease_grant`, keep-alive |
# | lock | file lock + sequencer | txn "create if absent", token = revision | `fencing_lock` |
# | notification | events on files | watch | `watch(...)` |
#
# The chapter's figures next to what the lab's own 5-node Multi-Paxos and Raft measure on one
# latency model (messages 1–10 ms; no disks, so writes are pure round trips):

# %%
from consensus_lab.viz.experiments import chubby_table
chubby_table(seed=0).set_index("system")

# %% [markdown]
# ## A first look at the lock
#
# The library's `FencedLock` follows etcd's own lock recipe: acquire is one transaction
# — *if the lock key does not exist, put it, with value = my id, attached to my lease* —
# and the lock key's revision is the **fencing token**. Two clients on the embedded cluster:

# %%
from consensus_lab.etcd.lock import FencedLock
c1, c2 = cluster.client(), cluster.client()      # two more clients of the same cluster
one, two = FencedLock(c1, "/locks/demo", "c1", ttl=5), FencedLock(c2, "/locks/demo", "c2", ttl=5)
token1 = one.acquire()
print("c1 token", token1, "| c2 try:", two.try_acquire(), "| key:", c1.get("/locks/demo").kvs[0])
one.release()
print("c1 released; c2 token", two.acquire(), "| key:", c2.get("/locks/demo").kvs[0])
two.release();

# %% [markdown]
# c2's token is larger than c1's: revisions only grow. Why that matters — a holder that
# *pauses* past its lease — is the story of notebook 13, where you write these functions
# yourself.
#
# ## What to notice
#
# - The same calls give the same answers on the lab's Raft and on etcd: a key-value state
#   machine on a replicated log *is* the design; etcd adds MVCC (revisions), leases,
#   watches and transactions on top.
# - The revision is a logical clock for the whole store — the thing that makes watches
#   resumable and fencing tokens monotonic.
# - Linearizable reads cost a round to the leader's quorum; serializable reads are local
#   and may be stale. A member without a majority can do only the latter.
# - A lease expires by the **leader's** clock and is revoked through the log; a failover
#   renews leases instead of expiring them early.
#
# ## Summary
#
# - etcd = Raft + an MVCC key-value store: put / get / delete / txn, revisions, leases with
#   TTL, watch; the lab's embedded backend implements the same API on its own Raft.
# - CP: a member cut off from the majority refuses writes and linearizable reads.
# - Chubby is the same pattern on Multi-Paxos, with sequencers as fencing tokens.
#
# Next: [12 · exercise: pick the consistency model](12-exercise-consistency-choice.ipynb),
# then [13 · exercise: a distributed lock](13-exercise-distributed-lock.ipynb) — the pause
# story, and the lock you write.
