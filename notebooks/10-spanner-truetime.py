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
# # 10 · Spanner: TrueTime and commit wait (TrueTime 與提交等待)
#
# Spanner (Corbett et al., OSDI 2012) orders transactions by **timestamps read from
# clocks** — and still promises **external consistency** (外部一致性): if T1 commits before
# T2 starts, in real time, T1's timestamp is the smaller. Clocks disagree by milliseconds;
# how can that work? In this notebook you will:
#
# 1. meet **TrueTime**, a clock that returns an interval `[earliest, latest]` instead of a
#    time, and the two commit rules built on it;
# 2. run a small Spanner-like store on the lab's simulator and **measure commit latency
#    against ε** — about 2ε on top of the messages, as the chapter says;
# 3. switch **commit wait off** and watch a later transaction get an *earlier* timestamp,
#    found by the checker and drawn on a timeline; then keep commit wait but let a clock be
#    wrong by **more than ε** — TrueTime's promise is the premise;
# 4. play with the **ε slider**;
# 5. set the chapter's **Chubby** figures beside what the lab's Multi-Paxos and Raft give;
# 6. write the two rules yourself (exercise `commit_wait`).
#
# Previous: [09 · atomic commit](09-atomic-commit.ipynb) (Spanner runs two-phase commit over
# Paxos groups). This notebook also builds on [08 · Paxos](08-paxos.ipynb) (Spanner's shards
# are Paxos groups) and [01 · consistency models](01-consistency-models.ipynb)
# (linearizability, real-time order).

# %%
import pandas as pd
import matplotlib.pyplot as plt
pd.set_option("display.max_colwidth", None)
from consensus_lab.nb import show
from consensus_lab.spanner import (SpannerConfig, SpannerStore, TrueTime, TTInterval,
                                   check_external_consistency, commit_timestamp,
                                   commit_wait_over, committed_transactions, find_anomaly,
                                   latency_vs_epsilon, scripted_anomaly)
from consensus_lab.compare.chubby import chubby_comparison
from consensus_lab.viz.truetime import commit_timeline, latency_chart

# %% [markdown]
# ## Vocabulary (詞彙)
#
# | English | 繁體中文 | meaning here |
# |---|---|---|
# | TrueTime | TrueTime 時間 API | `TT.now()` → `[earliest, latest]`; true time is inside |
# | clock uncertainty ε | 時鐘不確定性 ε | half the interval's width; Spanner's was 1–7 ms |
# | commit timestamp s | 提交時間戳 | the version a transaction's writes get |
# | commit wait | 提交等待 | hold the reply until `TT.after(s)`: about 2ε |
# | external consistency | 外部一致性 | real-time commit order = timestamp order |
# | snapshot read | 快照讀取 | read every key as of one timestamp, without locks |
#
# The chapter calls external consistency stronger than linearizability (線性一致性): it
# orders whole transactions, across shards, by real time — and the order is written in
# the timestamps, so a snapshot read at any timestamp sees a consistent cut.
#
# Time is in integer simulator ticks; **1 tick = 1 ms**, as everywhere in the lab.

# %% [markdown]
# ## The rules (規則)
#
# **TrueTime** (§3). `TT.now()` returns `[earliest, latest]`; `TT.after(t)` is true when `t`
# has *definitely* passed (`earliest > t`), `TT.before(t)` when it has definitely not
# arrived (`latest < t`). In the lab a node's interval is its local clock ± ε:

# %%
show(TrueTime.now, TTInterval.after, TTInterval.before)

# %% [markdown]
# **Start** (§4.1.2): a leader gives a commit the timestamp `s = TT.now().latest` — no clock
# anywhere can read beyond it yet — and above its own last timestamp.
# **Commit wait**: nobody hears of the commit until `TT.after(s)`. Then true time is past
# `s` for sure, so any transaction that starts afterwards reads a `latest` above `s`.

# %%
show(commit_timestamp, commit_wait_over)

# %% [markdown]
# The chapter's pseudo-code waits until `earliest >= commit_timestamp`; the paper's
# `TT.after(s)` means *definitely passed*, `earliest > s`. With integer milliseconds, at
# `earliest == s` the true time may be exactly `s` — the exercise below checks the strict
# form.
#
# ## The store (儲存)
#
# Two shards, three replicas each (`n1…n3`, `n4…n6`); the first node of a shard leads it.
# A transaction locks its keys, replicates its writes to a majority, picks `s`, waits, then
# applies the writes at version `s`, answers and unlocks. What is simplified — fixed
# leaders, no crashes, one-shard transactions — is listed in the module's docstring.
# The leader's decision, from the library: a step function that takes the node's state and
# returns the next state and the effects to carry out (`SetTimer` while commit wait lasts):

# %%
show(SpannerStore.check_durable, SpannerStore.maybe_finish)

# %% [markdown]
# ## Commit latency against ε (延遲與 ε)
#
# One client, 40 transactions one after the other, every message 1–10 ms. For each ε:
# the mean latency with commit wait, without it (the commit's **message latency**: client →
# leader, a majority round trip, leader → client), the prediction `2ε + message latency`,
# and their ratio. `overlapped_ms` is Spanner's own trick (§4.2.1): pick `s` first and let
# the wait run while the Paxos messages travel.

# %%
rows = latency_vs_epsilon(seed=0)
figure = pd.DataFrame(rows)
figure

# %%
latency_chart(rows);

# %%
from IPython.display import Markdown

worst = figure.loc[(figure.ratio - 1).abs().idxmax()]
Markdown(f"From ε = {figure.epsilon_ms.min()} to {figure.epsilon_ms.max()} ms the measured latency "
         f"is within {(figure.ratio - 1).abs().max():.1%} of `2ε + message latency` "
         f"(worst at ε = {worst.epsilon_ms:g} ms).")

# %% [markdown]
# **What to notice.** The measured latency is the message latency plus `2ε + 1` ms — the
# `+1` because `earliest` must pass `s` *strictly* on a millisecond clock — so the ratio
# stays close to the prediction at every ε (the line above says how close).
# Overlapping hides the wait entirely while 2ε is shorter than the round trip, and costs
# 2ε once it is longer: the wait, not the network, is the price of external consistency.

# %% [markdown]
# ## Without commit wait: the anomaly (異常)
#
# The smallest story. Shard 0's leader clock is **10 ms fast**, shard 1's **10 ms slow** —
# both within ε = 10 ms, so TrueTime tells no lie. A client writes on shard 0; when told
# "committed", it writes on shard 1. Then a reader takes a **snapshot** of both keys at the
# second write's timestamp.

# %%
broken = scripted_anomaly(10, commit_wait=False)
print(broken.result.explanation)
broken.snapshot

# %%
commit_timeline(broken.sim.history, title="ε = 10 ms, commit wait off");

# %% [markdown]
# T1 was answered with a timestamp `s` in the *future* of true time, read off the fast
# clock, and T2, which started after that answer, got a smaller `s` from the slow one (the
# explanation above has both). The snapshot at T2's timestamp shows the second write and
# not the first: a reader sees the
# effect without its cause. The red arrow on the timeline runs backwards. With commit wait,
# T1's answer waits until its `s` is in the past, and T2's timestamp must come later:

# %%
fixed = scripted_anomaly(10, commit_wait=True)
print(fixed.result.ok, fixed.snapshot)
commit_timeline(fixed.sim.history, title="ε = 10 ms, commit wait on");

# %% [markdown]
# **When TrueTime lies.** Commit wait trusts ε. Give the leaders clocks 30 ms off while
# ε is still 10 ms, and the same story breaks *with* commit wait:

# %%
lie = scripted_anomaly(10, commit_wait=True, skew=30)
print(lie.result.explanation)

# %% [markdown]
# The story was scripted; a **seed search** over random workloads (three clients, random
# shards, clocks skewed at random within ε) finds the same anomaly by itself, and the seed
# replays it exactly:

# %%
found = find_anomaly(10, commit_wait=False)
print(f"seed {found.seed}: {found.result.explanation}")
print("with commit wait, same seeds:", find_anomaly(10, commit_wait=True,
                                                   seeds=range(found.seed + 1)))

# %% [markdown]
# ## The ε slider (滑桿)
#
# Slide ε, switch commit wait, and move the **real** clock error of the two leaders
# (the two-write story with clocks at ±error). The first line is the latency measurement at
# that ε; the second the checker's verdict; below, the timeline. Try: commit wait off and
# any error ≥ 5 ms; commit wait on and error just above ε + 5.

# %%
from consensus_lab.widgets.truetime import truetime_explorer
truetime_explorer(epsilon=10)

# %% [markdown]
# ## Chubby, and what the lab measures (Chubby 的數字)
#
# The chapter quotes Chubby: a cell of **5 replicas tolerating 2 failures**, reads **under
# 10 ms**, writes **about 100 ms**. Below: those figures, then 5-node clusters of the lab's
# Multi-Paxos and Raft on the same latency model as the store (each message 1–10 ms),
# measured — writes, reads through the log, and how many crashed followers writes survive
# (the fourth column is measured: crash followers one at a time until a write stalls).

# %%
pd.DataFrame(chubby_comparison(seed=0))

# %% [markdown]
# **What to notice.** "Tolerates 2 of 5" comes out of the majority rule on both protocols.
# Chubby's reads are fast because its master answers from its cache while it holds a
# **lease** (no consensus round: one client round trip, the `lease_read_ms` model); the
# lab's stores send reads through the log, so a read costs what a write costs. Chubby's
# ~100 ms writes include what the lab does not model — forcing the Paxos log to disk on a
# majority, a real network, load — so the lab's writes are only the network round trips.

# %% [markdown]
# ## Exercise: `commit_wait` (練習)
#
# Open `exercises/commit_wait.py` and write the two rules:
#
# * `commit_timestamp(now, last_timestamp)` — Start: no less than `now.latest`, above the
#   leader's last timestamp;
# * `commit_wait_over(now, s)` — Commit wait: True once `TT.after(s)`.
#
# The checks try each rule on examples, compare with the rules on 500 random cases, then
# put your functions into every shard leader of the store and check external consistency
# on the two-write story and 20 random workloads. Run the cell (or
# `consensus-lab check commit_wait` in a terminal); the stub fails until you fill it in.

# %%
from consensus_lab.exercises import check
check("commit_wait")

# %% [markdown]
# ## Summary (總結)
#
# * TrueTime returns an interval; its promise is that true time lies inside.
# * A commit takes `s = TT.now().latest` and waits until `TT.now().earliest > s`: about
#   2ε on top of the messages (measured above: close to the prediction at every ε).
# * Without commit wait, a transaction that starts after another commits can get a smaller
#   timestamp, and a snapshot read sees an effect without its cause; with a clock wrong by
#   more than ε, commit wait cannot help.
# * Spanner hides the wait behind Paxos replication (§4.2.1) and keeps ε small with GPS and
#   atomic clocks; Chubby's figures show what a Paxos-replicated service costs in practice.
#
# Next: [11 · etcd and Chubby](11-etcd-and-locks.ipynb) — the chapter's other two systems
# built on consensus, and the lease and lock calls they offer. (Back to
# [09 · atomic commit](09-atomic-commit.ipynb) for how a transaction spanning several shards
# commits all or nothing.)
