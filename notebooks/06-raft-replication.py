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
# # 06 · Raft: log replication (日誌複製)
#
# Once elected, the leader is the only server that takes client commands. It appends each
# one to its **log** as an entry `(term, command)`, copies the log to the followers with
# **AppendEntries**, and once a **majority** stores an entry it is **committed**: from then
# on it will never be lost, and every server **applies** it to its state machine (here a
# key-value store) in log order. This notebook walks through the chapter's sequence diagram
# — a client sends `SET X=5` — event by event, then shows logs coloured by term, a crashed
# follower catching up, the fast-backup hint against one-entry-at-a-time, snapshots, and
# what clients see (`ok`, `fail`, `info`).
#
# It follows the chapter's section *2. 日誌複製* and §5.3 and §7 of the Raft paper.
# Previous: [05 · leader election](05-raft-election.ipynb); next:
# [07 · safety](07-raft-safety.ipynb).

# %%
import pandas as pd
pd.set_option("display.max_colwidth", None)   # show long table cells in full

# %%
from consensus_lab.nb import show
from consensus_lab.raft import (AppendEntriesReply, RaftConfig, RaftNode, check_one_leader,
                                raft_cluster)
from consensus_lab.raft import RaftProtocol, rules
from consensus_lab.raft.scenarios import (catch_up, leader_id, raft, run_until,
                                          settle_leader, submit_to_leader)
from consensus_lab.viz import raft_logs, raft_table, to_dataframe
from consensus_lab.widgets import raft_player

# %% [markdown]
# ## Vocabulary (詞彙)

# %%
from consensus_lab.glossary import glossary_table
glossary_table("raft").query("notebook == '06-raft-replication'")

# %% [markdown]
# ## The rules
#
# From Figure 2 of the paper:
#
# - **Leader, on a client command**: append `(current term, command)` to the own log; send
#   each follower AppendEntries with the entries from its `next_index` on, the index and
#   term of the entry just before them (`prev_log_index`, `prev_log_term`) and the leader's
#   commit index. An AppendEntries without entries is a heartbeat.
# - **Follower, on AppendEntries** (the receiver rules):
#   1. reply false if the term is older than mine;
#   2. reply false if my log has no entry at `prev_log_index` with term `prev_log_term`
#      (the **consistency check**);
#   3. if an existing entry conflicts with a new one (same index, different term), delete it
#      and everything after it;
#   4. append the entries not already in the log;
#   5. if `leader_commit` > my commit index, set it to min(`leader_commit`, index of the last
#      new entry).
# - **Leader, on the reply**: success → `match_index[f]` and `next_index[f]` move forward;
#   failure → move `next_index[f]` back and retry. Commit the highest index N that a
#   majority stores — **if log[N] is of the current term** (notebook 07 shows why).
# - **Every server**: while `commit_index > last_applied`, apply the next entry to the state
#   machine. The leader answers the client when it applies the client's entry.
#
# Rule 2 gives the **Log Matching** property by induction: if two logs hold an entry with
# the same index and term, they are identical up to that index.
#
# ## The library's code
#
# A client command reaches the leader (a follower answers "not leader" and names the leader
# it knows):

# %%
show(RaftProtocol.on_request, RaftProtocol.submit)

# %% [markdown]
# The leader sends each follower what it lacks, from `next_index`:

# %%
show(RaftProtocol.send_append)

# %% [markdown]
# The follower's side: the consistency check, the merge, the commit index:

# %%
show(RaftProtocol.handle_append_entries, rules.check_log)

# %% [markdown]
# The commit rule and applying committed entries in order:

# %%
show(RaftProtocol.advance_commit, RaftProtocol.apply_committed)

# %% [markdown]
# ## Experiment 1 — `SET X=5`, as in the chapter's sequence diagram (3 nodes, seed 2)
#
# The chapter draws a client, a leader and two followers. Three nodes, seed 2: n3 wins the
# election; `settle_leader` waits until its first heartbeats are answered.

# %%
sim = raft_cluster(3, seed=2)
leader = settle_leader(sim)
followers = [n for n in sim.node_ids if n != leader]
leader, followers

# %% [markdown]
# **Step 1 — the client sends `SET X=5` to the leader** (in our key-value store: `put X=5`).
# The leader appends entry `[1] put X=5` in term 1 — *not committed yet* (pale, hatched):

# %%
request = sim.submit(leader, "put", key="X", value=5)
for record in run_until(sim, lambda s: raft(s, leader).log.last_index == 1):
    print(record)

# %%
raft_logs(sim)

# %% [markdown]
# **Step 2 — AppendEntries to both followers.** `App(t=1 prev=0/0 n=1 c=0)`: term 1, the
# entry before is term 0 at index 0 (the empty start of every log, so the check passes), one
# entry, leader's commit index 0. Each follower appends and acknowledges (`AppOK … match=1`):

# %%
for record in run_until(sim, lambda s: all(raft(s, f).log.last_index == 1
                                           for f in followers)):
    print(record)

# %% [markdown]
# **Step 3 — a majority acknowledges → commit → apply → reply.** The leader plus one
# follower are 2 of 3: the first `AppOK` to arrive commits index 1. In the same event the
# leader applies it to its store and answers the client:

# %%
for record in run_until(sim, lambda s: raft(s, leader).commit_index == 1):
    print(record)
raft_logs(sim)

# %% [markdown]
# **Step 4 — the client hears "success"** (the reply takes a network delay too):

# %%
for record in run_until(sim, lambda s: len(s.history) == 2):
    print(record)

# %% [markdown]
# **Step 5 — the next heartbeat carries `commitIndex=1`** (`c=1`): the followers learn
# that the entry is committed and apply it too.

# %%
for record in run_until(sim, lambda s: all(raft(s, n).last_applied == 1
                                           for n in s.node_ids)):
    print(record)
raft_logs(sim)

# %%
{node: raft(sim, node).store.data for node in sim.node_ids}

# %% [markdown]
# Every state machine now holds `X=5`. Notice the order: the client got its answer
# (step 4) *before* the followers applied the entry (the records of step 5). That is fine: the
# entry was already safe on a majority, and a follower never applies what is not committed.
#
# ### The same, one click per event: the player (3 nodes, seed 2)
#
# The player starts where the cell above started: n3 leads, heartbeats answered. The
# button **client: SET X=5** sends the command to the leader (the cell below presses it
# once). Press **step ▶** and watch, one event per click: the request arrives and the
# leader's log grows (`replicate` timer: AppendEntries go out), each follower appends,
# the first `AppOK` commits (the bar appears on the leader's row), the client's reply,
# then a heartbeat with `c=1` and the followers' entries turn solid. **◀ back** replays;
# press the button again for a second command.

# %%
player = raft_player(3, seed=2, setup=settle_leader, clients={"client: SET X=5": ("X", 5)},
                     spacetime_last=40)
player.press("client: SET X=5")
player

# %% [markdown]
# ## Experiment 2 — logs coloured by term (5 nodes, seed 3)
#
# Three rounds: whoever leads takes three writes, then crashes; once a new leader is
# elected the old one restarts. Every leader writes in its own term, so the log shows
# the history of leadership, one colour per term:

# %%
sim = raft_cluster(5, seed=3)
for round_no in range(3):
    old = check_one_leader(sim).node_id
    for k in range(3):
        submit_to_leader(sim, "put", key="X", value=f"{round_no}.{k}")
    sim.run(until=sim.now + 100)
    sim.crash(old)
    check_one_leader(sim)
    sim.restart(old)
sim.run(until=sim.now + 100)
raft_logs(sim)

# %% [markdown]
# All five logs are equal: each leader's writes carry its term, all are committed, and the
# leader is now in a later term still. (Within a term the writes are in the order
# they *reached the leader*, not the order the cell sent them: each request has its own
# network delay.) Terms only grow along a log: that is why a
# single *(index, term)* pair identifies a whole log prefix (Log Matching).
#
# ## Experiment 3 — a crashed follower catches up (3 nodes, seed 3)
#
# One write, then crash a follower and write five more without it. Its row is greyed: what
# you see is what it persisted — the log and term survive a crash; the commit index does
# not (it is volatile, relearned from the leader).

# %%
sim = raft_cluster(3, seed=3)
leader = check_one_leader(sim).node_id
lagger = next(n for n in sim.node_ids if n != leader)
sim.submit(leader, "put", key="X", value=1)
sim.run(until=sim.now + 100)
sim.crash(lagger)
for k in range(5):
    sim.submit(leader, "put", key=f"k{k}", value=k)
sim.run(until=sim.now + 200)
raft_logs(sim)

# %% [markdown]
# The leader committed the five writes with the other follower (2 of 3). Restart the
# lagger and watch the leader's messages to it:

# %%
sim.restart(lagger)
for record in run_until(sim, lambda s: raft(s, leader).match_index[lagger] == 6):
    if lagger in (record.node, record.peer) and record.kind in ("send", "deliver"):
        print(record)

# %% [markdown]
# The first heartbeat says "the entry before is term 1 at index 6" (`prev=1/6`): the
# lagger has no entry 6, so it refuses, with a hint — `AppNo(t=1 x=0/2)`: *conflict term 0*
# (I have nothing there), *first index to try: 2* (my log is one entry long). The leader
# jumps straight to index 2 and sends the five missing entries in one message
# (`prev=1/1 n=5`); the lagger accepts, and learns the commit index in the same message.

# %%
raft_logs(sim)

# %% [markdown]
# ## Experiment 4 — 50 entries behind: the hint against one entry at a time (seed 3)
#
# Figure 2 says only "decrement `next_index` and retry": one round trip per missing entry.
# The paper (end of §5.3) suggests the optimization the lab uses by default: the rejection
# carries the term of the conflicting entry and the first index of that term, so the leader
# skips a whole term — or, for a follower that is just short, its whole missing tail — in
# one round trip. The reply and the leader's side:

# %%
show(AppendEntriesReply, RaftProtocol.backed_up_index)

# %% [markdown]
# `catch_up` crashes a follower, commits 50 writes without it, restarts it and counts the
# AppendEntries the leader sends it, and its rejections, until it matches. The same seed
# with `RaftConfig(fast_backup=True)` and `False`:

# %%
runs = [catch_up(fast_backup) for fast_backup in (True, False)]
pd.DataFrame([{"fast_backup": c.fast_backup, "entries behind": c.behind,
               "AppendEntries sent": c.append_entries, "rejections": c.rejections,
               "caught up after (ms)": c.took_ms} for c in runs]).set_index("fast_backup")

# %% [markdown]
# With the hint: a single rejection, then one AppendEntries carrying all the missing
# entries. Without it: one rejection per missing entry (plus a few heartbeats that repeat
# the pending probe), and many times longer for the follower to catch up (last column). In a real cluster a follower
# that was down for an hour is behind by millions of entries — which is also why it would
# rather receive a snapshot.
#
# ## Experiment 5 — snapshots and InstallSnapshot (3 nodes, seed 3)
#
# A log cannot grow forever. With `snapshot_threshold=10` a server replaces the applied
# prefix of its log by a snapshot of its state machine every 10 applied entries (§7):

# %%
show(RaftProtocol.maybe_snapshot)

# %%
sim = raft_cluster(3, seed=3, config=RaftConfig(snapshot_threshold=10))
leader = check_one_leader(sim).node_id
lagger = next(n for n in sim.node_ids if n != leader)
sim.crash(lagger)
for k in range(25):
    sim.submit(leader, "put", key=f"k{k % 4}", value=k)
sim.run(until=sim.now + 300)
raft_logs(sim)

# %% [markdown]
# The leader's log now starts with a grey *snapshot ≤ N* cell: entries 1 to N are gone,
# folded into the key-value state. The crashed follower needs entry 1 — which no longer
# exists. So the leader sends its snapshot instead (`Snap`, InstallSnapshot), then the
# entries after it:

# %%
sim.restart(lagger)
for record in run_until(sim, lambda s: raft(s, leader).match_index[lagger] == 25):
    if lagger in (record.node, record.peer) and record.kind in ("send", "deliver", "note"):
        print(record)

# %%
raft_logs(sim)

# %%
{node: raft(sim, node).store.data for node in sim.node_ids}

# %% [markdown]
# ## Experiment 6 — what clients see: `ok`, `fail`, `info` (3 nodes, seed 5)
#
# The simulator records every client operation in a Jepsen-style history: `invoke` when it
# is sent, then `ok` or `fail` when the answer arrives, or `info` when the client gave up
# waiting (its timeout) — *the outcome is unknown*. Four clients:
#
# - `c1` writes `X=1` to the leader → `ok`;
# - `c2` writes `X=2` to a follower → `fail`, "not leader" (with the leader's id: retry there);
# - `c3` writes `X=3` to the leader, which crashes right after one follower stored the
#   entry, before it can answer → `c3` times out: `info`;
# - `c4` writes `Y=4` to the new leader → `ok`.

# %%
sim = raft_cluster(3, seed=5)
leader = check_one_leader(sim).node_id
followers = [n for n in sim.node_ids if n != leader]
sim.submit(leader, "put", key="X", value=1, client="c1", timeout=500)
sim.submit(followers[0], "put", key="X", value=2, client="c2", timeout=500)
sim.run(until=sim.now + 100);

# %%
sim.submit(leader, "put", key="X", value=3, client="c3", timeout=500)
run_until(sim, lambda s: any(raft(s, f).log.last_index == 2 for f in followers))
sim.crash(leader)
new = check_one_leader(sim).node_id
sim.submit(new, "put", key="Y", value=4, client="c4", timeout=500)
sim.run(until=sim.now + 600)
to_dataframe(sim.history)

# %%
raft_logs(sim)

# %%
{node: raft(sim, node).store.data for node in followers}   # the leader is down

# %% [markdown]
# `c3` got `info`, yet its write **took effect**: entry 2 (`put X=3`, term 1) reached one
# follower before the crash; that follower was the only one that could win the next
# election (the other lacks entry 2 and the election restriction makes it lose); and when
# `c4`'s entry of term 2 committed, entry 2 committed with it. So `info` really means
# "maybe": a client that retries blindly could write `X=3` twice. The lab's key-value store
# remembers the last command number per client (sessions, §8 of the paper) to make a retried
# command take effect once.
#
# ## What to notice
#
# - Only the leader appends; a follower's log changes only when an AppendEntries passes
#   the consistency check — so logs agree on every prefix they share (**Log Matching**).
# - **Committed = stored on a majority** (by the leader of that entry's term). The leader
#   answers the client when it applies the entry; followers apply when a later message
#   carries the new commit index.
# - A follower that was down catches up from the leader alone; the rejection's hint makes
#   that take one round trip instead of one per missing entry, and a snapshot replaces what
#   the leader has compacted away.
# - A client that hears nothing cannot tell whether its command happened (`info`).
#
# ## Exercise — write the follower's side (`raft_append_entries`)
#
# In `exercises/raft_append_entries.py` write `consistency_check(...)` (rule 2, with the
# hint of experiment 4) and `merge_entries(...)` (rules 3 and 4). The checker runs your
# functions inside `RaftNode` on clusters with crashes, partitions, duplicated and reordered
# messages. From a terminal: `consensus-lab check raft_append_entries`, or here:

# %%
from consensus_lab.exercises import check
check("raft_append_entries")

# %% [markdown]
# ## Summary
#
# - `SET X=5` (seed 2): the leader appended the entry, both followers stored it, the first
#   acknowledgement committed and applied it, the client heard `ok`, and the followers
#   applied it at the next heartbeat — in that order (the records of steps 1 to 5).
# - Logs are coloured by term; entries are pale and hatched until their server knows they
#   are committed; the bar marks the commit index.
# - A restarted follower a few entries behind caught up in one round trip.

# %%
from IPython.display import Markdown

fast, slow = runs
Markdown(f"- {fast.behind} entries behind took {fast.rejections} rejection(s) with the "
         f"fast-backup hint and {slow.rejections} without it ({fast.took_ms} ms against "
         f"{slow.took_ms} ms).")

# %% [markdown]
# - A follower behind the leader's snapshot receives the snapshot (InstallSnapshot).
# - Histories: `ok`, `fail` ("not leader"), and `info` — unknown, and here the write did
#   happen.
#
# Next: [07 · safety](07-raft-safety.ipynb) — why the commit rule says "of the current
# term", and what the election restriction protects.
