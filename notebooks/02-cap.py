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
# # 02 · CAP: a CP store and an AP store under a partition (CAP 定理)
#
# A linearizable store behaves like one copy of the data. The chapter's section
# *線性一致性的代價* (the cost of linearizability) asks what that costs when the network
# splits: a replica that cannot reach the others must either **refuse** the request or
# **answer from what it has**. In this notebook you cut a five-node cluster in two and
# measure both choices side by side:
#
# - a **CP** store — majority quorums (ABD), and Raft as etcd does it — refuses the side
#   without a majority and never returns a stale value;
# - an **AP** store — Dynamo style, like Cassandra — answers everyone on both sides, and
#   pays with **stale reads** (讀到舊值) and, when clocks disagree, **lost writes**.
#
# What you will learn:
#
# 1. what CAP says precisely, and what it does not say;
# 2. how to measure availability, stale reads and lost writes from a client history, and
#    check the history for linearizability;
# 3. how the AP store's read and write quorums R and W trade availability on the minority
#    side against stale reads — and why even R + W > N is not linearizability;
# 4. how to break both kinds of store yourself with the `CapExplorer` widget.
#
# Previous: [01 · consistency models](01-consistency-models.ipynb) (linearizability and the
# checker). Next: [03 · causality](03-causality.ipynb).

# %%
import pandas as pd

from consensus_lab.consistency import check
from consensus_lab.nb import show
from consensus_lab.stores import partition_experiment
from consensus_lab.stores.dynamo import DynamoStore
from consensus_lab.stores.quorum import QuorumStore
from consensus_lab.stores.raftstore import RaftStoreProtocol
from consensus_lab.viz import history_timeline
from consensus_lab.widgets import CapExplorer, CapModel
from consensus_lab.widgets.cap import quorum_note, quorum_sweep, register_history
from consensus_lab.widgets.cap_views import plot_runs

pd.set_option("display.max_colwidth", None)
SEED = 0   # every run below is reproduced exactly by this seed

# %% [markdown]
# ## Vocabulary (詞彙)
#
# The chapter's CAP diagram names three properties: **一致性** (consistency),
# **可用性** (availability) and **分區容錯** (partition tolerance). The lab's glossary
# adds the rest:

# %%
from consensus_lab.glossary import glossary_table
glossary_table().loc[["network partition", "partition tolerance (CAP)", "linearizability",
                      "eventual consistency", "majority (quorum)"]]

# %% [markdown]
# Two more words for what a client can observe:
#
# | English | 繁體中文 | meaning here |
# |---|---|---|
# | stale read | 讀到舊值 | a read missed a write acknowledged before the read began |
# | lost write | — | an acknowledged write whose value is gone once the replicas converged |
# | R, W, N | — | a Dynamo read waits for R replies, a write for W acks, of N replicas |
#
# ## CAP, stated precisely
#
# The chapter draws CAP as a triangle: a network **will** partition, so partition tolerance
# is not optional, and under a partition a system chooses **CP** (give up availability) or
# **AP** (give up consistency). Its two examples are the ones we rebuild here: etcd refuses
# a write when the node is not in the majority (`寫入失敗: 節點不在多數派`), Cassandra
# accepts the write on whichever side it lands and lets the replicas diverge.
#
# The theorem (Gilbert & Lynch 2002, proving Brewer's conjecture) uses narrow words:
#
# - **C** is *linearizability* — one copy, every operation takes effect at one instant
#   between its call and its return. Not "consistency" in the ACID sense, and not any of
#   the weaker models;
# - **A** means *every request received by a non-failing node gets a non-error answer* —
#   eventually, with no bound on time. A node that waits forever, or answers "try again",
#   is not available;
# - **P** means the network may lose any number of messages between the two sides.
#
# So CAP is a statement about one fault (a partition) and one consistency model: a system
# cannot be both linearizable and available in that sense while partitioned. Kleppmann's
# *A Critique of the CAP Theorem* (2015) argues that these definitions are so narrow — and
# the CP/AP labels so often misapplied, since many real systems are neither — that it is
# more useful to ask which consistency model a system offers and how its latency depends on
# network delay. That is what we measure below: not labels, but numbers.

# %% [markdown]
# ## The experiment
#
# `partition_experiment` runs one store in the simulator: five nodes `n1 … n5` and one
# client per node (`c1` talks only to `n1`, …). Each client thinks a few ms, then reads or
# writes key `x` or `y` (every written value is distinct, like `"c3:7"`), waits for the
# answer or gives up after 300 ms, and repeats. From **t = 500 to t = 1500** the network is
# cut into side **A** = {n1, n2} (the minority) and side **B** = {n3, n4, n5}; then it heals,
# the clients stop at t = 2000 and the replicas get time to converge.
#
# From the client history alone it counts, per side:
#
# - **availability** — of the requests sent during the partition, the share answered `ok`;
#   `ok before heal` counts those answered while the cut was still there;
# - **stale reads** and **lost writes** (definitions in the vocabulary above);
# - and the linearizability checker of notebook 01 gives its verdict on the whole history.
#
# The CP store's whole secret is one rule: an operation that has not heard from a majority
# when its timer fires answers `fail` (or, for a write whose outcome is unknown, nothing —
# the client records `info`):

# %%
show(QuorumStore.on_query_reply, QuorumStore.on_timer)

# %% [markdown]
# The AP store's secret is the opposite rule: a write is acknowledged as soon as **W**
# replicas it can reach have it — nobody asks whether they are a majority:

# %%
show(DynamoStore.on_put_ack)

# %% [markdown]
# ## CP under a partition: the minority refuses, like etcd
#
# `CapModel` is the plain-Python core of the widget at the end: it keeps the settings, runs
# the experiment and the checker, and tabulates the result per side.

# %%
model = CapModel(seed=SEED)
cp = model.run(store="cp")
print(quorum_note(cp.settings))
pd.DataFrame(cp.rows()).set_index("side")

# %%
print(cp.explanation())
print(cp.meaning())

# %% [markdown]
# Side A sent requests during the partition and got **none** answered: its coordinators
# could reach two of five replicas, never three, so every operation timed out with `fail`.
# Side B, with three of five, answered all of them. Nothing was stale, nothing lost, and the
# checker found a linearization of the whole history. This is the chapter's etcd example:
# the write on a node outside the majority fails.
#
# etcd itself does not use ABD but Raft. `RaftStoreProtocol` wraps the lab's Raft KV the way
# etcd's server wraps its Raft core: a follower forwards a client's request to the leader,
# and a node that knows no leader holds the request until one is elected, and fails it with
# "no leader" after 200 ms:

# %%
show(RaftStoreProtocol.on_request)

# %%
raft = model.run(store="raft")
pd.DataFrame(raft.rows()).set_index("side")

# %%
for record in raft.result.sim.trace.filter(kind="note"):
    if "leader of term" in record.detail:
        print(record)

# %% [markdown]
# Same picture, one difference worth noticing. With this seed the leader at the moment of
# the cut (t = 500) was on the minority side — the notes above say who led which term and
# from when. It kept believing it led, and accepted proposals that could never commit, so
# side A's clients timed out (`timed out` = `info`: outcome unknown). Side B first had to
# notice the silence and elect a leader of its own (the last note): from the cut until then
# even the majority side was unavailable, which is why its availability in the table is a
# little short of every request. Raft is CP, and availability on the majority side is not
# free either.

# %% [markdown]
# ## AP under a partition: everyone answers, like Cassandra
#
# Now the Dynamo store with N = 5 replicas and **R = W = 1**: a read answers from the first
# replica that replies (usually the coordinator itself), a write is acknowledged once one
# replica has it.

# %%
ap = model.run(store="ap", r=1, w=1)
print(quorum_note(ap.settings))
pd.DataFrame(ap.rows()).set_index("side")

# %%
print(ap.explanation())
print(ap.meaning())

# %% [markdown]
# Both sides answered **every** request during the partition — availability in CAP's
# sense — and both read stale values: a client on side A read a value older than a write
# that side B had already acknowledged, and vice versa. The checker's verdict is the formal
# version: no single order of the operations respects real time. Once the partition heals,
# anti-entropy and read repair make the replicas converge again (eventual consistency).
#
# ### Clock skew: last write wins loses acknowledged writes
#
# The store resolves conflicting versions by **last write wins**: the version with the
# higher `(local clock, node id)` stamp survives. Give n1 a clock that runs one second
# ahead and its writes beat every write made in the following second, on every node:

# %%
skewed = model.run(store="ap", skew=True)
pd.DataFrame(skewed.rows()).set_index("side")

# %%
for inv, comp in skewed.result.anomalies.lost_writes:
    print(f"{inv.process} wrote {inv.key}={inv.value!r} at t={inv.time}, "
          f"acknowledged at t={comp.time}")
print("after settling the replicas hold", skewed.result.final)

# %% [markdown]
# Each of those clients got `ok` for its write, yet once the replicas converged the key holds
# an **older** value from n1, stamped in n1's future. Nobody saw an error. This is
# Cassandra's failure mode under clock skew (DDIA ch. 8, *Timestamps for ordering
# events*); the siblings
# variant of the store (Riak style) keeps concurrent versions side by side instead and
# hands them to the next reader, so it loses nothing, but readers see several values:

# %%
siblings = model.run(store="ap-siblings", skew=True)
print(siblings.explanation())

# %% [markdown]
# ## The stores side by side
#
# The runs so far, one row per run and side (the widget at the end shows the same table and
# chart for whatever you try):

# %%
model.table()[["run", "settings", "side", "majority", "availability", "ok before heal",
               "stale reads", "lost writes", "linearizable"]]

# %%
fig = plot_runs(model.runs)

# %% [markdown]
# Left: the share of the requests sent during the partition that were answered, per run and
# side (A is the minority). Right: the anomalies. The CP stores leave side A empty and have
# no anomaly at all; the AP store fills every availability bar and pays on the right — stale
# reads always, lost writes once a clock is skewed (and never with siblings).
#
# ## Tuning R and W
#
# Between the two extremes, Dynamo-style stores let you choose R and W per request. With
# N = 3 nodes cut into A = {n1} and B = {n2, n3}, here is every combination:

# %%
sweep = quorum_sweep(3, seed=SEED)
sweep

# %% [markdown]
# What to notice:
#
# - **R = W = 1** answers everything on both sides and reads stale values.
# - **R + W > N** (a *strict quorum*) makes every read quorum overlap every write quorum,
#   and the stale reads disappear — but so does availability: with R ≥ 2 and W ≥ 2 the lone
#   node n1 can finish nothing, exactly like the CP store's minority. With R = W = 3 even the
#   majority side is stuck.
# - **Strict quorum is still not linearizability.** Look at R = 1, W = 3: no stale read was
#   counted, yet the checker says *illegal*. During the partition neither side can collect
#   three acks, so every write ends as `info` (outcome unknown) — but the write already sits
#   on the replicas it reached, and R = 1 reads find it. Side A's reads return one
#   unfinished write, side B's another, interleaved in real time in a way no single
#   register could produce (the checker's explanation below names them). Our store has no
#   *sloppy* quorum (no hinted handoff), so this is not the usual sloppy-quorum excuse; the
#   causes are partial writes and read repair that runs only after the read has answered
#   (ABD, in contrast, writes back *before* answering). DDIA ch. 9 calls this out in
#   *Linearizability and quorums*.

# %%
strict = model.run(store="ap", n=3, r=1, w=3, skew=False)
print(quorum_note(strict.settings))
print(strict.explanation())

# %% [markdown]
# ## Break it yourself: the CAP explorer
#
# Every change re-runs the experiment with the settings shown and redraws the table, the
# verdict and the chart of the last six runs. The same settings and seed always give the
# same numbers. Suggested experiments:
#
# 1. **CP vs AP.** Switch the store between *CP · majority quorums* and *AP · Dynamo, last
#    write wins* and compare side A's availability and the stale reads.
# 2. **Partition off.** Toggle the partition: every store answers everything and no
#    anomaly appears — CAP only bites when the network splits.
# 3. **Move the cut.** With N = 6, put 3 nodes on side A: neither side has a majority and
#    the CP store stops everywhere. With N = 5 and 4 nodes on side A, the *majority* is on
#    side A.
# 4. **Quorums.** On the AP store with N = 5 raise R and W: find the smallest R + W that
#    removes the stale reads, and watch side A's availability as you go.
# 5. **Clocks.** Tick *n1's clock +1000 ms* with last write wins, then with siblings.
# 6. **Raft.** Try *CP · Raft KV* with different seeds: sometimes the old leader is on the
#    majority side, and side B does not even notice the partition.

# %%
explorer = CapExplorer(CapModel(seed=SEED))
explorer

# %% [markdown]
# ## A stale read, up close
#
# The histories above are long. A smaller AP run — three nodes, one key,
# a partition from t = 100 to t = 300 — is short enough to draw. Each client is a lane, each
# operation a bar from its call to its return; the checker outlines in red the smallest set
# of operations it found that no order can explain, and says why underneath:

# %%
small = partition_experiment("ap", 3, keys=("x",), partition_at=100, heal_at=300,
                             duration=400, seed=SEED)
history = register_history(small)
verdict = check(history, "register")
history_timeline(history, verdict)

# %%
for inv, comp in small.anomalies.stale_reads[:3]:
    print(f"stale: {inv.process} read {inv.key} at t={inv.time} and got {comp.value!r}")

# %% [markdown]
# Read the red bars left to right: a write was acknowledged on one side of the cut, and a
# read that started *after* that acknowledgement, on the other side, returned an older
# value. A linearizable store may never do that; an available one, under a partition, has
# no way to avoid it.
#
# ## Summary
#
# - Under a partition a replica either refuses (CP) or answers from what it has (AP).
#   CAP's C is linearizability and its A is "every non-failing node answers"; with those
#   narrow words, a partitioned system cannot have both.
# - The CP stores (ABD majority quorums, Raft as in etcd) answered nothing on the minority
#   side while cut off, and never returned a stale value or lost a write. Raft can be
#   briefly unavailable on the majority side too, while it elects a new leader.
# - The AP store (Dynamo, R = W = 1, like Cassandra) answered every request on both sides,
#   and read stale values; with a skewed clock, last write wins silently dropped
#   acknowledged writes.
# - R + W > N trades minority-side availability for fewer stale reads, but is not
#   linearizability: partial writes and asynchronous read repair still break it.
#
# Next: [03 · causality](03-causality.ipynb) — a consistency model that *can* stay available
# under a partition: causal consistency, with Lamport and vector clocks.
