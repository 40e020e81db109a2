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
# # 13 · Exercise: a distributed lock with a fencing token (練習 2: 設計分散式鎖)
#
# The chapter's second exercise: design a distributed lock that gives
#
# - **mutual exclusion** (互斥) — at most one holder at a time;
# - **no deadlock** (無死鎖) — if the holder crashes, the lock frees itself;
# - **fault tolerance** (容錯) — the lock service survives the loss of a minority.
#
# etcd gives the last one for free (Raft). This notebook builds the first two from a
# transaction and a lease — and then breaks them with the story from Martin Kleppmann's
# "How to do distributed locking" (2016) that DDIA retells: a holder **pauses** (a long
# garbage-collection pause) past its lease, someone else takes the lock, the first one
# wakes up and writes. You will see the story on a timeline, on the embedded cluster and on
# a real etcd with the holder frozen by `SIGSTOP`; see the **fencing token** save the data;
# slide the pause and the lease yourself; and then write the four functions
# (exercise `fencing_lock`), checked on both backends.
#
# Previous: [12 · exercise: pick the consistency model](12-exercise-consistency-choice.ipynb).
# This exercise builds on [11 · etcd and Chubby](11-etcd-and-locks.ipynb) (put, txn, leases,
# revisions).

# %%
import pandas as pd
import matplotlib.pyplot as plt
pd.set_option("display.max_colwidth", None)
from consensus_lab.etcd import EtcdNotInstalled, etcd_available, local_cluster
from consensus_lab.etcd.story import embedded_story, play, sigstop_story
from consensus_lab.exercises import check, load_answers
from consensus_lab.glossary import glossary_table
from consensus_lab.nb import show
from consensus_lab.viz.lock import story_timeline
from consensus_lab.widgets.lock import lock_story_explorer

# %% [markdown]
# ## Vocabulary (詞彙)
#
# The lock's terms from the lab's glossary, and the two etcd terms from notebook 11 it
# is built on:

# %%
terms = glossary_table("etcd")
terms[(terms.notebook == "13-exercise-distributed-lock")
      | terms.index.isin(["lease", "keep-alive"])]

# %% [markdown]
# ## The recipe, in four rules
#
# 1. **acquire** — one transaction: *if* the lock key does not exist
#    (`create_revision == 0`) *then* put it with value = my client id, **attached to my
#    lease**. If the transaction succeeded I hold the lock, and my **fencing token** is the
#    revision of that put.
# 2. **keep-alive** — while holding, renew the lease well before its TTL runs out. If the
#    holder dies, the renewals stop, the lease expires and etcd deletes the key: no deadlock.
# 3. **release** — delete the key only if it is still **mine**: value == my id and
#    `create_revision == my token`, in one transaction. (After my lease expired, the key may
#    be someone else's.)
# 4. **the storage service checks the token** — it remembers the highest token it has
#    accepted and rejects a write with a lower one.
#
# Why the revision? etcd's revision is one counter for the whole store that only grows, so a
# later holder's put always has a larger revision than an earlier holder's.
#
# ## The story, played on the embedded cluster
#
# c1 takes the lock (lease 2 s) and writes; then it **pauses for 5 s** — on the embedded
# cluster it simply makes no calls while simulated time passes. c2 polls for the lock every
# 0.25 s. This is the library function that plays the story; the four rules come from a
# *rules module* — the library's, or your `exercises/fencing_lock.py`:

# %%
show(play)

# %%
story = embedded_story(ttl=2, pause=5.0, fencing=True)
print(story)

# %%
story_timeline(story);

# %%
from IPython.display import Markdown


def lock_taken(story, actor):
    """The moment ``actor`` acquired the lock in ``story`` (its token and time)."""
    return next(m for m in story.moments if m.actor == actor and m.kind == "acquire" and m.token)


c1_lock, c2_lock = lock_taken(story, "c1"), lock_taken(story, "c2")
Markdown(f"c1 took the lock with token **{c1_lock.token}**; c2 took it at t = {c2_lock.at:g} s "
         f"with token **{c2_lock.token}**.")

# %% [markdown]
# Read the timeline left to right. c1 holds the lock with its token and writes. It freezes
# (grey). Its lease runs out about 2 s later and the leader revokes it; c2's next attempt
# succeeds with a larger token (the revision after the revoke that deleted c1's key), and
# c2 writes. From that moment c1 only *believes* it holds the lock (red dashes) — it cannot
# know, it is frozen. At t ≈ 5 s it wakes and does what it was about to do: write, with
# its old token. The storage has already accepted c2's, so it **rejects** the write. Only then does c1's
# keep-alive find its lease gone, and its release finds the key is not its own any more.
#
# ## The same story without fencing
#
# The lock service behaved exactly the same. Only the storage is different: it accepts every
# write.

# %%
unfenced = embedded_story(ttl=2, pause=5.0, fencing=False)
print(unfenced.verdict())
story_timeline(unfenced);

# %% [markdown]
# Nothing failed, nothing was logged — c2's data is simply gone. A lease alone cannot
# prevent this: the lock service cannot stop a process that is not running, and the process
# cannot notice that it was paused before its next instruction (the write). The check must
# happen **where the write lands**. (A network delay does the same as a pause: the write was
# sent in time but arrives late.)
#
# And if the pause is shorter than the lease, c1 still holds the lock when it wakes — its
# write is legitimate, and must be accepted:

# %%
print(embedded_story(ttl=2, pause=1.0).verdict())

# %% [markdown]
# ## Slide the pause
#
# Each change replays the story on the embedded cluster (seed 1, so the same settings always
# give the same story). Try: a pause shorter than the lease; a pause just over it; fencing
# off; a longer lease for the same pause.

# %%
lock_story_explorer(ttl=2, pause=5.0)

# %% [markdown]
# ## The story on a real etcd, with a real SIGSTOP
#
# On a real cluster c1 is a **process of its own** (`python -m consensus_lab.etcd.holder`),
# with a keep-alive thread renewing its lease every TTL/3. The story freezes that process
# with `SIGSTOP` — every thread stops, the keep-alive thread too, exactly like a
# stop-the-world GC pause — and wakes it with `SIGCONT`. c2 runs in this notebook. If the
# signal did not freeze the keep-alive thread, c2 would never get the lock.

# %%
from consensus_lab.etcd.holder import ProcessHolder
show(ProcessHolder.pause, ProcessHolder.resume)

# %%
real_stories = []
if etcd_available():
    with local_cluster(3) as members:
        for fencing in (True, False):
            real_stories.append(sigstop_story(members, ttl=2, pause=4.5, fencing=fencing))
    print(real_stories[0], "", real_stories[1].verdict(), sep="\n")
else:
    print(f"skipped: no etcd here — {EtcdNotInstalled.HOW_TO}")

# %%
if real_stories:
    fig, axes = plt.subplots(2, 1, figsize=(9, 6.4))
    for ax, real_story in zip(axes, real_stories):
        story_timeline(real_story, ax=ax)
    fig.tight_layout()

# %% [markdown]
# The times are wall-clock now, so they wobble from run to run (c1's first step waits for
# its process to start and connect); the second story's tokens are larger because the
# cluster kept the first one's history; the outcomes are the same. etcd expires a lease a
# little after its TTL (the leader checks every half second), which is why c2 gets in a
# little more than a TTL after the pause began.
#
# ## Your turn: write the four functions
#
# Open `exercises/fencing_lock.py`. It asks for `acquire`, `release`, `keep_alive` and the
# storage's `accept_write`; the docstring lists the building blocks (`Compare`, `Put`,
# `Delete`, `client.txn`). Here is one as shipped:

# %%
mine = load_answers("fencing_lock")
show(mine.acquire)

# %% [markdown]
# The checks run your functions on an embedded cluster and look at the lock key etcd holds
# afterwards (its value, its lease, its revisions); try the stale-token cases; play the pause
# story with your code; and, when etcd is installed, run the same code on a real 3-member
# cluster with c1 frozen by SIGSTOP. Until you write the functions every check fails with
# "not implemented yet" — expected. Re-run after saving your file.

# %%
check("fencing_lock")

# %% [markdown]
# Once the checks pass, watch your own code play the story (and switch your storage's check
# off to see what it prevents):

# %%
try:
    yours = embedded_story(rules=load_answers("fencing_lock"), ttl=2, pause=5.0)
    print(yours.verdict())
    story_timeline(yours, title="your four functions")
except NotImplementedError:
    print("not implemented yet — write the four functions in exercises/fencing_lock.py")

# %% [markdown]
# From a terminal: `consensus-lab check fencing_lock`.
#
# ## What to notice
#
# - A lease turns "the holder died" into "the lock frees itself" — but a **paused** holder is
#   not dead, and nothing the lock service does can reach it. Safety must come from the
#   resource: the storage service compares tokens.
# - The token must grow with every new holder, which the store's revision does for free; a
#   per-key `version` does not (every new lock key starts at version 1).
# - Release must check ownership: after a pause, "my" lock key may be someone else's.
# - The same learner code ran on the lab's Raft in simulated time and on a real etcd with a
#   real SIGSTOP: the API is the contract.
#
# ## Summary
#
# - Lock = a transaction "create the key if absent" on a lease; value = client id; token =
#   revision; keep-alive while holding; release only your own.
# - The pause story: c1 paused 5 s, past its 2 s lease; c2 took the lock with a larger
#   token and wrote; c1's late write was **rejected** with fencing, and **silently overwrote** c2's
#   data without it.
# - Chubby calls the token a *sequencer*; etcd's lock API returns the key whose revision is
#   the token.
#
# Back to [00 · start here](00-start-here.ipynb) for the map, or to
# [11 · etcd and Chubby](11-etcd-and-locks.ipynb).
